#!/usr/bin/python3
"""Generate a synthetic cardiology demo data set (DICOM Part 10) for Systole.

Usage:
    tools/make_demo_study.py --out DIR [--seed N] [--force] [--quiet]

Only needs Debian 12's python3-pydicom (2.3.x) and python3-numpy.  Output is
fully deterministic for a given seed (UIDs, dates and pixels).  A small
manifest (DIR/.make_demo_study.json) records what was written; if it is
current and every listed file still has the recorded SHA-256 the tool exits
without regenerating anything.  Nothing in the output is real patient data.

Contents (all Explicit VR Little Endian, uncompressed):
  DEMO^Echo (DEMO0001)
    TTE Demo (2024-03-14): PLAX, A4C, A2C cine (US multi-frame, MONOCHROME2),
        A4C colour Doppler cine (RGB), PLAX still with calipers (US),
        Comprehensive SR with LV measurements (LOINC/UCUM)
    TTE Demo (2023-03-09, prior): PLAX and A4C cine
  DEMO^Cath (DEMO0002)
    Coronary Angiography Demo (2024-02-20): one XA multi-frame run (15 fps)
"""

import argparse
import hashlib
import json
import os
import sys
import time
import uuid

# Bump when the generated *content* changes in a way that should produce new
# UIDs (so a PACS never sees two different objects with the same UID).
CONTENT_VERSION = 1
TOOL_NAME = "make_demo_study.py"
MANIFEST_NAME = ".make_demo_study.json"
UID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:systole:make-demo-study")

US_MF_SOP = "1.2.840.10008.5.1.4.1.1.3.1"    # Ultrasound Multi-frame Image
US_SOP = "1.2.840.10008.5.1.4.1.1.6.1"       # Ultrasound Image
XA_SOP = "1.2.840.10008.5.1.4.1.1.12.1"      # X-Ray Angiographic Image
COMP_SR_SOP = "1.2.840.10008.5.1.4.1.1.88.33"  # Comprehensive SR
EXPLICIT_LE = "1.2.840.10008.1.2.1"


# ---------------------------------------------------------------------------
# Idempotence helpers (no numpy/pydicom needed, so the no-op path is fast)
# ---------------------------------------------------------------------------

def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def tool_fingerprint(seed):
    with open(os.path.abspath(__file__), "rb") as f:
        src = f.read()
    h = hashlib.sha256(src)
    h.update(("seed=%d;content=%d" % (seed, CONTENT_VERSION)).encode())
    return h.hexdigest()


def load_manifest(out):
    try:
        with open(os.path.join(out, MANIFEST_NAME), "r", encoding="utf-8") as f:
            m = json.load(f)
        return m if isinstance(m, dict) else None
    except (OSError, ValueError):
        return None


def manifest_is_current(out, manifest, fingerprint):
    if not manifest or manifest.get("fingerprint") != fingerprint:
        return False
    files = manifest.get("files")
    if not isinstance(files, dict) or not files:
        return False
    for rel, info in files.items():
        p = os.path.join(out, rel)
        try:
            if os.path.getsize(p) != info["size"]:
                return False
        except (OSError, KeyError, TypeError):
            return False
        if sha256_file(p) != info.get("sha256"):
            return False
    return True


# ---------------------------------------------------------------------------
# Generation
# ---------------------------------------------------------------------------

def generate(out, seed, quiet=False):
    import numpy as np
    from io import BytesIO
    import pydicom
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.dataelem import DataElement
    from pydicom.sequence import Sequence

    def uid(key):
        u = uuid.uuid5(UID_NAMESPACE, "v%d/seed%d/%s" % (CONTENT_VERSION, seed, key))
        return "2.25.%d" % u.int

    def rng(key):
        d = hashlib.sha256(("seed%d/%s" % (seed, key)).encode()).digest()
        return np.random.default_rng(int.from_bytes(d[:8], "little"))

    IMPL_UID = "2.25.%d" % uuid.uuid5(UID_NAMESPACE, "implementation").int

    def code(value, scheme, meaning):
        c = Dataset()
        c.CodeValue = value
        c.CodingSchemeDesignator = scheme
        c.CodeMeaning = meaning
        return c

    # ------------------------------------------------------------------
    # Cardiac timing (phase 0 = R wave = end-diastole)
    # ------------------------------------------------------------------
    _cp = [0.00, 0.04, 0.12, 0.22, 0.32, 0.37, 0.45, 0.55, 0.70, 0.84, 0.90, 0.96, 1.00]
    _cv = [0.00, 0.02, 0.30, 0.75, 0.98, 1.00, 0.70, 0.30, 0.18, 0.15, 0.08, 0.00, 0.00]

    def contraction(phi):
        phi = np.mod(phi, 1.0)
        # light smoothing of the piecewise-linear curve
        acc = 0.0
        for d in (-0.02, -0.01, 0.0, 0.01, 0.02):
            acc = acc + np.interp(np.mod(phi + d, 1.0), _cp, _cv)
        return acc / 5.0

    def atrial_kick(phi):
        phi = float(np.mod(phi, 1.0))
        return float(np.exp(-((phi - 0.90) / 0.04) ** 2))

    def mitral_open(phi):
        phi = float(np.mod(phi, 1.0))
        e = np.exp(-((phi - 0.50) / 0.07) ** 2)
        a = 0.75 * np.exp(-((phi - 0.91) / 0.035) ** 2)
        dia = 0.25 if 0.45 <= phi <= 0.97 else 0.0
        return float(min(1.0, max(e, a, dia)))

    def aortic_open(phi):
        phi = float(np.mod(phi, 1.0))
        if 0.06 <= phi <= 0.34:
            return float(np.sin(np.pi * (phi - 0.06) / 0.28) ** 0.4)
        return 0.0

    def ecg(phi):
        phi = np.mod(phi, 1.0)
        def g(c, w, a):
            d = np.mod(phi - c + 0.5, 1.0) - 0.5
            return a * np.exp(-(d / w) ** 2)
        return (g(0.86, 0.025, 0.12) + g(-0.018, 0.006, -0.12) + g(0.0, 0.009, 1.0)
                + g(0.022, 0.008, -0.28) + g(0.30, 0.045, 0.28))

    # ------------------------------------------------------------------
    # Echo phantom
    # ------------------------------------------------------------------
    W, H = 320, 240
    PS = 0.065          # cm per pixel
    APEX_ROW, APEX_COL = 6, W // 2
    RMAX = 13.6         # cm
    HALF_ANGLE = np.deg2rad(38.0)

    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    X = (xx - APEX_COL + 0.5) * PS
    Y = (yy - APEX_ROW + 0.5) * PS
    R = np.hypot(X, Y)
    TH = np.arctan2(X, Y)
    sector_soft = (np.clip((RMAX - R) / 0.08, 0, 1) * np.clip((HALF_ANGLE - np.abs(TH)) / 0.012, 0, 1)
                   * np.clip((R - 0.2) / 0.1, 0, 1) * (Y > 0))
    in_sector = sector_soft > 0
    rows_in = np.nonzero(in_sector.any(axis=1))[0]
    cols_in = np.nonzero(in_sector.any(axis=0))[0]
    REGION = (int(cols_in[0]), int(rows_in[0]), int(cols_in[-1]), int(rows_in[-1]))

    # polar speckle grid and scan-conversion lookup
    NR, NB = 340, 110
    ir = np.clip((R / RMAX * (NR - 1)).round().astype(np.int64), 0, NR - 1)
    ib = np.clip(((TH + HALF_ANGLE) / (2 * HALF_ANGLE) * (NB - 1)).round().astype(np.int64), 0, NB - 1)
    POLAR_IDX = (ir * NB + ib).ravel()

    def smooth_polar(z):
        z = (z + np.roll(z, 1, 0) + np.roll(z, -1, 0)) / 3.0
        z = (z + 0.6 * np.roll(z, 1, 1) + 0.6 * np.roll(z, -1, 1)) / 2.2
        return z

    # static overlays: depth ticks, orientation marker, ECG strip area
    def depth_ticks():
        m = np.zeros((H, W), bool)
        for k in range(1, int(RMAX) + 1):
            th = HALF_ANGLE + np.deg2rad(2.5)
            cx = APEX_COL + k / PS * np.sin(th)
            cy = APEX_ROW + k / PS * np.cos(th)
            sz = 2 if k % 5 == 0 else 1
            r0, c0 = int(round(cy)), int(round(cx))
            m[max(r0 - sz + 1, 0):r0 + sz, max(c0 - sz + 1, 0):c0 + sz] = True
        # vendor orientation marker near the apex (right side)
        m[APEX_ROW + 2:APEX_ROW + 6, APEX_COL + 40:APEX_COL + 44] = True
        return m
    TICKS = depth_ticks()

    ECG_TOP, ECG_BOT = 219, 237
    ECG_X0, ECG_X1 = 12, W - 12

    def ecg_trace_mask(n_frames, frame_time_ms, hr):
        """Static ECG polyline covering the clip duration + per-frame cursor x."""
        m = np.zeros((H, W), bool)
        xs = np.arange(ECG_X0, ECG_X1)
        dur = n_frames * frame_time_ms / 1000.0
        t = (xs - ECG_X0) / float(ECG_X1 - ECG_X0) * dur
        v = ecg(t * hr / 60.0 + 0.0)
        ys = np.round(ECG_BOT - 3 - (v + 0.3) / 1.3 * (ECG_BOT - ECG_TOP - 5)).astype(int)
        prev = ys[0]
        for x, y in zip(xs, ys):
            lo, hi = min(prev, y), max(prev, y)
            m[lo:hi + 1, x] = True
            prev = y
        cursor = [ECG_X0 + int(round(i / float(n_frames) * (ECG_X1 - ECG_X0))) for i in range(n_frames)]
        return m, cursor

    def ellipse_geom(cx, cy, a, b, rot_deg):
        t = np.deg2rad(rot_deg)
        s, c = np.sin(t), np.cos(t)
        dx, dy = X - cx, Y - cy
        u = dx * s + dy * c
        v = dx * c - dy * s
        return u, v

    def ellipse_dist(u, v, a, b):
        rho = np.sqrt((u / a) ** 2 + (v / b) ** 2)
        return np.hypot(u, v) * (1.0 - 1.0 / np.maximum(rho, 1e-6))

    def ramp(d, edge=0.12):
        return np.clip(0.5 - d / edge, 0.0, 1.0)

    def segment_dist(p0, p1):
        px, py = p0
        qx, qy = p1
        vx, vy = qx - px, qy - py
        L2 = vx * vx + vy * vy + 1e-12
        t = np.clip(((X - px) * vx + (Y - py) * vy) / L2, 0, 1)
        return np.hypot(X - (px + t * vx), Y - (py + t * vy))

    def smooth_field(r, ny, nx, lo, hi):
        g = r.random((ny, nx))
        # bilinear upsample to (H, W)
        yi = np.linspace(0, ny - 1, H)
        xi = np.linspace(0, nx - 1, W)
        y0 = np.floor(yi).astype(int).clip(0, ny - 2)
        x0 = np.floor(xi).astype(int).clip(0, nx - 2)
        fy = (yi - y0)[:, None]
        fx = (xi - x0)[None, :]
        a = g[y0][:, x0]
        b = g[y0][:, x0 + 1]
        c = g[y0 + 1][:, x0]
        d = g[y0 + 1][:, x0 + 1]
        f = a * (1 - fy) * (1 - fx) + b * (1 - fy) * fx + c * fy * (1 - fx) + d * fy * fx
        return lo + (hi - lo) * f

    def view_model(view, lvidd_cm, ivs_cm):
        """Return chambers/valves for a view (geometry in cm, ED state)."""
        ch, valves = [], []
        half = lvidd_cm / 2.0
        if view == "PLAX":
            lv = dict(kind="lv", c=(-1.2, 7.0), a=4.9, b=half, rot=100.0, wall=ivs_cm,
                      fs=0.33, ls=0.06, open=(1, 0.72), peri=(0.0, 1.0))
            ch.append(lv)
            ch.append(dict(kind="rv", c=(-0.8, 4.6 - ivs_cm - 0.8 - 0.05), a=3.8, b=0.8, rot=96.0,
                           wall=0.35, fs=0.2, ls=0.03, open=None, peri=None))
            ch.append(dict(kind="vessel", c=(4.4, 5.0), a=2.6, b=1.2, rot=98.0, wall=0.28,
                           fs=0.0, ls=0.0, open=(-1, 0.55), peri=None))
            ch.append(dict(kind="atrium", c=(4.3, 9.1), a=1.9, b=1.65, rot=80.0, wall=0.25,
                           fs=0.0, ls=0.0, open=(-1, 0.0), peri=None, axis_ang=200.0))
            ch.append(dict(kind="vessel", c=(2.2, 11.6), a=0.75, b=0.75, rot=0.0, wall=0.22,
                           fs=0.0, ls=0.0, open=None, peri=None))
            valves.append(dict(h=(2.35, 6.45), L=2.1, closed=62.0, opened=195.0, kind="mv"))
            valves.append(dict(h=(3.55, 8.75), L=1.2, closed=215.0, opened=160.0, kind="mv"))
            valves.append(dict(h=(2.55, 3.95), L=1.0, closed=78.0, opened=8.0, kind="av"))
            valves.append(dict(h=(2.75, 6.05), L=1.0, closed=-78.0, opened=-6.0, kind="av"))
        elif view in ("A4C", "A2C"):
            lvx = 1.3 if view == "A4C" else 0.3
            rot = 12.0 if view == "A4C" else 4.0
            a = 4.1
            lv = dict(kind="lv", c=(lvx, 6.3), a=a, b=half * 0.95, rot=rot, wall=ivs_cm * 0.95,
                      fs=0.30, ls=0.12, open=(1, 0.78), peri=((1.0, 0.0) if view == "A4C" else (0.3, 1.0)))
            ch.append(lv)
            t = np.deg2rad(rot)
            e = np.array([np.sin(t), np.cos(t)])
            ann = np.array(lv["c"]) + e * a * 0.78
            nrm = np.array([e[1], -e[0]])
            la_c = ann + e * 1.95 * 0.78
            ch.append(dict(kind="atrium", c=tuple(la_c), a=1.95, b=1.85, rot=rot, wall=0.25,
                           fs=0.0, ls=0.0, open=(-1, 0.62), peri=None))
            aw = half * 0.95 * np.sqrt(1 - 0.78 ** 2)
            hs = ann - nrm * aw  # septal / anterior hinge (screen left)
            hl = ann + nrm * aw
            base_ang = np.rad2deg(np.arctan2(e[1], e[0]))
            valves.append(dict(h=tuple(hs), L=1.5, closed=base_ang - 80, opened=base_ang - 170, kind="mv"))
            valves.append(dict(h=tuple(hl), L=1.1, closed=base_ang + 80, opened=base_ang + 170, kind="mv"))
            if view == "A4C":
                rv = dict(kind="rv", c=(-2.9, 6.9), a=3.4, b=1.45, rot=-14.0, wall=0.4,
                          fs=0.22, ls=0.12, open=(1, 0.75), peri=None)
                ch.insert(1, rv)
                t2 = np.deg2rad(-14.0)
                e2 = np.array([np.sin(t2), np.cos(t2)])
                ann2 = np.array(rv["c"]) + e2 * 3.4 * 0.75
                ra_c = ann2 + e2 * 1.8 * 0.8
                ch.append(dict(kind="atrium", c=tuple(ra_c), a=1.8, b=1.75, rot=-14.0, wall=0.22,
                               fs=0.0, ls=0.0, open=(-1, 0.6), peri=None))
                n2 = np.array([e2[1], -e2[0]])
                w2 = 1.45 * np.sqrt(1 - 0.75 ** 2)
                b2 = np.rad2deg(np.arctan2(e2[1], e2[0]))
                valves.append(dict(h=tuple(ann2 - n2 * w2), L=1.3, closed=b2 - 80, opened=b2 - 165, kind="mv"))
                valves.append(dict(h=tuple(ann2 + n2 * w2), L=1.0, closed=b2 + 80, opened=b2 + 165, kind="mv"))
        return ch, valves

    def chamber_state(cm, c):
        """Apply contraction c (0=ED, 1=ES) and return (cx, cy, a, b, wall)."""
        cx, cy = cm["c"]
        a, b, wall = cm["a"], cm["b"], cm["wall"]
        if cm["kind"] in ("lv", "rv"):
            a2 = a * (1 - cm["ls"] * c)
            t = np.deg2rad(cm["rot"])
            # keep the apex fixed: centre moves toward the apex
            cx -= np.sin(t) * (a - a2)
            cy -= np.cos(t) * (a - a2)
            b2 = b * (1 - cm["fs"] * c)
            wall2 = wall * (1 + 0.45 * c * (cm["fs"] / 0.3))
            return cx, cy, a2, b2, wall2
        if cm["kind"] == "atrium":
            k = 1 + 0.12 * c
            return cx, cy, a * k, b * k, wall
        if cm["kind"] == "vessel":
            return cx, cy, a, b * (1 + 0.05 * c), wall
        return cx, cy, a, b, wall

    class EchoRenderer(object):
        def __init__(self, key, view, lvidd_cm, ivs_cm):
            self.r = rng("echo/" + key)
            self.view = view
            self.ch, self.valves = view_model(view, lvidd_cm, ivs_cm)
            bg = smooth_field(self.r, 9, 12, 0.04, 0.16)
            bg *= smooth_field(self.r, 30, 40, 0.7, 1.3)
            chest = np.clip((1.6 - Y) / 0.3, 0, 1)
            band = 0.25 + 0.30 * np.sin(Y * 9.0 + smooth_field(self.r, 4, 6, 0, 3)) ** 2
            self.bg = bg * (1 - chest) + band * chest
            z = self.r.standard_normal((NR, NB, 2))
            self.spk = smooth_polar(z[..., 0]) + 1j * smooth_polar(z[..., 1])
            depth = np.clip(R / RMAX, 0, 1)
            self.tgc = (1.0 - 0.25 * depth ** 2) * (np.clip(np.cos(TH / HALF_ANGLE * np.pi / 2), 0, 1) ** 0.25)

        def frame_echo(self, phi):
            c = float(contraction(phi))
            E = self.bg.copy()
            geo = []
            for cm in self.ch:
                cx, cy, a, b, wall = chamber_state(cm, c)
                u, v = ellipse_geom(cx, cy, a, b, cm["rot"])
                geo.append((cm, cx, cy, a, b, wall, u, v))
            # walls
            for cm, cx, cy, a, b, wall, u, v in geo:
                d_out = ellipse_dist(u, v, a + wall, b + wall)
                m = ramp(d_out, 0.15)
                if cm["open"] is not None:
                    sgn, frac = cm["open"]
                    m = m * np.clip((frac * a - sgn * u) / 0.2 + 0.5, 0, 1)
                lvl = {"lv": 0.55, "rv": 0.5, "atrium": 0.45, "vessel": 0.7}[cm["kind"]]
                E = E * (1 - m) + lvl * m
                if cm.get("peri"):
                    nx, ny = cm["peri"]
                    side = np.clip(((X - cx) * nx + (Y - cy) * ny) / 0.8, 0, 1)
                    ridge = np.exp(-((d_out - 0.28) / 0.13) ** 2) * side
                    E = np.maximum(E, 0.95 * ridge)
            # cavities
            for cm, cx, cy, a, b, wall, u, v in geo:
                m = ramp(ellipse_dist(u, v, a, b), 0.12)
                E = E * (1 - m) + 0.012 * m
            # valves
            for vv in self.valves:
                o = mitral_open(phi) if vv["kind"] == "mv" else aortic_open(phi)
                ang = np.deg2rad(vv["closed"] + (vv["opened"] - vv["closed"]) * o)
                hx, hy = vv["h"]
                p1 = (hx + vv["L"] * np.cos(ang), hy + vv["L"] * np.sin(ang))
                d = segment_dist((hx, hy), p1)
                E = np.maximum(E, 0.8 * np.exp(-(d / 0.07) ** 2))
            return E, c

        def speckle(self):
            z = self.r.standard_normal((NR, NB, 2))
            n = smooth_polar(z[..., 0]) + 1j * smooth_polar(z[..., 1])
            self.spk = 0.82 * self.spk + np.sqrt(1 - 0.82 ** 2) * n
            mag = np.abs(self.spk).ravel()[POLAR_IDX].reshape(H, W)
            return mag / 0.55

        def frame_gray(self, phi):
            E, c = self.frame_echo(phi)
            I = E * self.speckle() * self.tgc
            db = 20.0 * np.log10(I + 1e-4)
            g = np.clip((db + 40.0) / 42.0, 0, 1) ** 1.1 * 255.0 * sector_soft
            return g, E

    def colour_doppler(E, phi, rr):
        """Return (rgb float HxWx3 overlay, alpha HxW) for mitral inflow + mild MR."""
        # colour box (in polar coordinates) around the mitral valve (A4C)
        box = ((R > 5.8) & (R < 12.8) & (TH > np.deg2rad(-4)) & (TH < np.deg2rad(24)))
        blood = np.clip((0.05 - E) / 0.03, 0, 1)
        c = float(contraction(phi))
        dc = float(contraction(phi + 0.01) - contraction(phi - 0.01)) / 0.02
        vel = np.zeros((H, W))
        # diastolic inflow (towards the transducer -> positive / red)
        inflow = max(0.0, -dc) * 0.55 + 0.6 * atrial_kick(phi)
        if inflow > 0.02:
            ax0, ay0 = 2.3, 12.3
            ax1, ay1 = 1.2, 5.5
            d = segment_dist((ax0, ay0), (ax1, ay1))
            vel += inflow * np.exp(-(d / 1.0) ** 2)
        # systolic mitral regurgitation jet into the LA (away -> blue, aliasing)
        if c > 0.25 and dc > -0.5 and float(np.mod(phi, 1.0)) < 0.42:
            jet = segment_dist((1.9, 9.9), (2.7, 12.6))
            vel -= 1.6 * min(1.0, (c - 0.25) / 0.3) * np.exp(-(jet / 0.35) ** 2)
            # small LVOT outflow (away, blue) near the septum
            lvot = segment_dist((0.0, 7.0), (0.6, 9.8))
            vel -= 0.35 * c * np.exp(-(lvot / 0.6) ** 2)
        # blocky colour noise along beams
        noise = rr.standard_normal((NR // 6 + 1, NB // 3 + 1))
        nidx = ((ir // 6) * (NB // 3 + 1) + ib // 3).ravel()
        vel = vel * (1 + 0.25 * noise.ravel()[nidx].reshape(H, W))
        # aliasing at the Nyquist limit (|v| > 1 wraps)
        vel = np.mod(vel + 1.0, 2.0) - 1.0
        alpha = box * blood * np.clip((np.abs(vel) - 0.08) / 0.08, 0, 1)
        pos = np.clip(vel, 0, 1)
        neg = np.clip(-vel, 0, 1)
        rgb = np.zeros((H, W, 3))
        rgb[..., 0] = 255 * np.clip(0.35 + 1.3 * pos, 0, 1) * (pos > 0)
        rgb[..., 1] = 255 * (np.clip(1.6 * pos - 0.7, 0, 1) + np.clip(1.6 * neg - 0.8, 0, 1))
        rgb[..., 2] = 255 * np.clip(0.35 + 1.3 * neg, 0, 1) * (neg > 0)
        # colour box outline
        outline = (((np.abs(R - 5.8) < PS * 0.6) | (np.abs(R - 12.8) < PS * 0.6)) &
                   (TH > np.deg2rad(-4)) & (TH < np.deg2rad(24)))
        outline |= ((np.abs(TH - np.deg2rad(-4)) * R < PS * 0.6) | (np.abs(TH - np.deg2rad(24)) * R < PS * 0.6)) \
            & (R > 5.8) & (R < 12.8)
        return rgb, alpha, outline

    def colour_bar():
        bar = np.zeros((H, W, 3))
        m = np.zeros((H, W), bool)
        y0, y1, x0, x1 = 30, 110, 8, 16
        for y in range(y0, y1):
            v = 1.0 - 2.0 * (y - y0) / float(y1 - y0 - 1)
            pos, neg = max(v, 0), max(-v, 0)
            bar[y, x0:x1] = [255 * min(1, 0.35 + 1.3 * pos) * (pos > 0),
                             255 * (min(max(1.6 * pos - 0.7, 0), 1) + min(max(1.6 * neg - 0.8, 0), 1)),
                             255 * min(1, 0.35 + 1.3 * neg) * (neg > 0)]
            m[y, x0:x1] = True
        return bar, m

    def render_echo_clip(key, view, n_frames, frame_ms, hr, lvidd, ivs, color=False, still=False,
                         phase0=0.0, calipers=None):
        ren = EchoRenderer(key, view, lvidd, ivs)
        ecg_m, cursor = ecg_trace_mask(n_frames, frame_ms, hr)
        rr = rng("doppler/" + key)
        if color:
            bar, bar_m = colour_bar()
        frames = []
        for i in range(n_frames):
            t = i * frame_ms / 1000.0
            phi = phase0 + t * hr / 60.0
            g, E = ren.frame_gray(phi)
            g = np.where(TICKS, 200.0, g)
            if color:
                rgb = np.repeat(g[..., None], 3, axis=2)
                ov, alpha, outline = colour_doppler(E, phi, rr)
                rgb = rgb * (1 - alpha[..., None]) + ov * alpha[..., None]
                rgb[outline] = 150.0
                rgb[bar_m] = bar[bar_m]
                rgb[ecg_m] = (40.0, 210.0, 70.0)
                cx = cursor[i]
                rgb[ECG_TOP:ECG_BOT + 1, cx:cx + 2] = (230.0, 230.0, 80.0)
                frames.append(np.clip(rgb + 0.5, 0, 255).astype(np.uint8))
            else:
                if not still:
                    g = np.where(ecg_m, 190.0, g)
                    g[ECG_TOP:ECG_BOT + 1, cursor[i]:cursor[i] + 2] = 255.0
                if calipers:
                    for (p0, p1) in calipers:
                        n = int(max(abs(p1[0] - p0[0]), abs(p1[1] - p0[1])) / PS)
                        for k in range(0, n + 1, 4):
                            f = k / float(max(n, 1))
                            cx = int(round(APEX_COL + (p0[0] + f * (p1[0] - p0[0])) / PS))
                            cy = int(round(APEX_ROW + (p0[1] + f * (p1[1] - p0[1])) / PS))
                            g[cy, cx] = 235.0
                        for (px, py) in (p0, p1):
                            cx = int(round(APEX_COL + px / PS))
                            cy = int(round(APEX_ROW + py / PS))
                            g[cy - 3:cy + 4, cx] = 255.0
                            g[cy, cx - 3:cx + 4] = 255.0
                frames.append(np.clip(g + 0.5, 0, 255).astype(np.uint8))
        return np.stack(frames)

    # ------------------------------------------------------------------
    # XA phantom
    # ------------------------------------------------------------------
    XN = 512

    def render_xa(key, n_frames, fps, hr):
        r = rng("xa/" + key)
        A = np.zeros((XN, XN))
        D = np.full((XN, XN), 1e9)

        def stamp(px, py, rad, dist):
            h = int(np.ceil(rad)) + 1
            x0, x1 = int(px) - h, int(px) + h + 2
            y0, y1 = int(py) - h, int(py) + h + 2
            if x0 < 0 or y0 < 0 or x1 > XN or y1 > XN:
                return
            gy, gx = np.mgrid[y0:y1, x0:x1]
            d2 = (gx - px) ** 2 + (gy - py) ** 2
            th = 2.0 * np.sqrt(np.maximum(rad * rad - d2, 0.0))
            sub = A[y0:y1, x0:x1]
            np.maximum(sub, th, out=sub)
            subd = D[y0:y1, x0:x1]
            np.copyto(subd, np.minimum(subd, dist), where=th > 0)

        def grow(px, py, ang, length, rad, dist, depth, curl):
            n = int(length / 0.7)
            nb = 0
            branch_at = sorted(r.uniform(0.1, 0.9, size=int(r.integers(3, 6)) if depth < 2 else
                                         int(r.integers(1, 4) if depth < 3 else 0)))
            bi = 0
            for k in range(n):
                f = k / float(max(n, 1))
                rr_ = rad * (1.0 - 0.45 * f)
                stamp(px, py, rr_, dist)
                ang += r.normal(0.0, 0.035) + curl
                px += 0.7 * np.cos(ang)
                py += 0.7 * np.sin(ang)
                dist += 0.7
                if bi < len(branch_at) and f >= branch_at[bi]:
                    bi += 1
                    nb += 1
                    side = 1 if (nb % 2) else -1
                    grow(px, py, ang + side * r.uniform(0.5, 0.95), length * r.uniform(0.35, 0.55) * (1 - f * 0.5),
                         rr_ * 0.62, dist, depth + 1, -curl + side * 0.004)
                if not (8 < px < XN - 8 and 8 < py < XN - 8):
                    break

        ox, oy = 190.0, 150.0   # ostium of the left main
        # left main -> LAD and LCx
        lm_len = 28.0
        ang = np.deg2rad(20)
        px, py = ox, oy
        for k in range(int(lm_len / 0.7)):
            stamp(px, py, 4.2, k * 0.7)
            px += 0.7 * np.cos(ang)
            py += 0.7 * np.sin(ang)
        grow(px, py, np.deg2rad(35), 360.0, 3.6, lm_len, 0, 0.0018)     # LAD
        grow(px, py, np.deg2rad(105), 260.0, 3.3, lm_len, 0, 0.0045)    # LCx
        # catheter: from the bottom towards the ostium (radio-opaque, thin)
        C = np.zeros((XN, XN))
        cx_, cy_ = 120.0, XN - 1.0
        for k in range(700):
            t = k / 700.0
            x = cx_ + (ox - cx_) * t + 40 * np.sin(np.pi * t) ** 2
            y = cy_ + (oy - cy_) * t
            xi, yi = int(round(x)), int(round(y))
            C[max(yi - 1, 0):yi + 2, max(xi - 1, 0):xi + 2] = 1.0
        # anatomy background
        yy_, xx_ = np.mgrid[0:XN, 0:XN].astype(np.float64)
        lung = np.exp(-(((xx_ - 120) / 110) ** 2 + ((yy_ - 200) / 170) ** 2))
        lung += np.exp(-(((xx_ - 420) / 100) ** 2 + ((yy_ - 180) / 160) ** 2))
        spine = np.exp(-((xx_ - 330 - 0.05 * yy_) / 38.0) ** 2)
        diaphragm = np.clip((yy_ - (400 - 0.0012 * (xx_ - 150) ** 2)) / 25.0, 0, 1)
        ribs = np.zeros((XN, XN))
        for k in range(6):
            yc = 40 + 85 * k + 0.0009 * (xx_ - 256) ** 2
            ribs += np.exp(-((yy_ - yc) / 7.0) ** 2) * 0.5
        base = 0.62 + 0.18 * lung - 0.12 * spine - 0.22 * diaphragm - 0.05 * ribs
        fov = np.hypot(xx_ - XN / 2 + 0.5, yy_ - XN / 2 + 0.5)
        vign = np.clip(1.0 - 0.25 * (fov / (XN / 2)) ** 2, 0, 1)
        shutter = np.clip((XN / 2 - 6 - fov) / 1.5, 0, 1)
        # contrast timing
        frames = []
        inj0, fill_frames = 3, 9
        Dmax = float(np.max(D[D < 1e8]))
        for i in range(n_frames):
            t = i / float(fps)
            phi = t * hr / 60.0 + 0.3
            c = float(contraction(phi))
            front = (i - inj0) / float(fill_frames) * (Dmax + 40)
            wash = 1.0 if i < 20 else max(0.35, 1.0 - (i - 20) * 0.07)
            op = np.clip((front - D) / 25.0, 0, 1) * wash
            M = A * op
            # heart motion: scale about the heart centre + translation
            s = 1.0 - 0.07 * c
            hx, hy = 300.0, 300.0
            sx = hx + (xx_ - hx - 3.0 * c) / s
            sy = hy + (yy_ - hy - 5.0 * c) / s
            x0 = np.clip(np.floor(sx).astype(int), 0, XN - 2)
            y0 = np.clip(np.floor(sy).astype(int), 0, XN - 2)
            fx = np.clip(sx - x0, 0, 1)
            fy = np.clip(sy - y0, 0, 1)
            Mw = (M[y0, x0] * (1 - fx) * (1 - fy) + M[y0, x0 + 1] * fx * (1 - fy)
                  + M[y0 + 1, x0] * (1 - fx) * fy + M[y0 + 1, x0 + 1] * fx * fy)
            heart = np.exp(-(((xx_ - 300 - 3 * c) / (150 * s)) ** 2 + ((yy_ - 300 - 5 * c) / (130 * s)) ** 2) ** 2)
            # contrast puff in the aortic root at injection start
            puff = 0.0
            if inj0 <= i < inj0 + 5:
                puff = 0.5 * np.exp(-(((xx_ - ox + 25) / 30.0) ** 2 + ((yy_ - oy - 10) / 40.0) ** 2)) * \
                    np.sin(np.pi * (i - inj0 + 1) / 6.0)
            I = (base - 0.10 * heart) * vign * np.exp(-0.2 * Mw - 0.45 * C - puff)
            I = I + r.normal(0, 0.012, size=I.shape)
            I = (I + np.roll(I, 1, 0) + np.roll(I, 1, 1) + np.roll(np.roll(I, 1, 0), 1, 1)) / 4.0
            g = np.clip(I * 290.0, 0, 255) * shutter
            frames.append(np.clip(g + 0.5, 0, 255).astype(np.uint8))
        return np.stack(frames)

    # ------------------------------------------------------------------
    # DICOM builders
    # ------------------------------------------------------------------
    def age_str(birth, date):
        y = int(date[:4]) - int(birth[:4])
        if date[4:] < birth[4:]:
            y -= 1
        return "%03dY" % y

    def base_dataset(pat, study, series, sop_class, sop_uid, inst_no, content_time):
        ds = Dataset()
        ds.SpecificCharacterSet = "ISO_IR 100"
        ds.InstanceCreationDate = study["date"]
        ds.InstanceCreationTime = content_time
        ds.SOPClassUID = sop_class
        ds.SOPInstanceUID = sop_uid
        ds.StudyDate = study["date"]
        ds.SeriesDate = study["date"]
        ds.ContentDate = study["date"]
        ds.StudyTime = study["time"]
        ds.SeriesTime = series["time"]
        ds.ContentTime = content_time
        ds.AccessionNumber = study["accession"]
        ds.Modality = series["modality"]
        ds.Manufacturer = "Systole Demo"
        ds.InstitutionName = "Systole Demo Hospital"
        ds.ReferringPhysicianName = study["referring"]
        ds.StationName = series["station"]
        ds.StudyDescription = study["description"]
        ds.SeriesDescription = series["description"]
        ds.OperatorsName = series.get("operator", "")
        ds.ManufacturerModelName = series["model"]
        ds.PatientName = pat["name"]
        ds.PatientID = pat["id"]
        ds.IssuerOfPatientID = "SYSTOLE-DEMO"
        ds.PatientBirthDate = pat["birth"]
        ds.PatientSex = pat["sex"]
        ds.PatientAge = age_str(pat["birth"], study["date"])
        ds.PatientSize = pat["size"]
        ds.PatientWeight = pat["weight"]
        ds.BodyPartExamined = "HEART"
        ds.DeviceSerialNumber = series.get("serial", "DEMO-0001")
        ds.SoftwareVersions = "make_demo_study %d" % CONTENT_VERSION
        ds.StudyInstanceUID = study["uid"]
        ds.SeriesInstanceUID = series["uid"]
        ds.StudyID = study["study_id"]
        ds.SeriesNumber = series["number"]
        ds.InstanceNumber = inst_no
        return ds

    def set_pixels(ds, arr):
        arr = np.ascontiguousarray(arr, dtype=np.uint8)
        data = arr.tobytes()
        if len(data) % 2:
            data += b"\x00"
        ds.add(DataElement(0x7FE00010, "OB", data))

    def us_region(color):
        it = Dataset()
        it.RegionLocationMinX0 = REGION[0]
        it.RegionLocationMinY0 = APEX_ROW
        it.RegionLocationMaxX1 = REGION[2]
        it.RegionLocationMaxY1 = REGION[3]
        it.PhysicalUnitsXDirection = 3
        it.PhysicalUnitsYDirection = 3
        it.PhysicalDeltaX = PS
        it.PhysicalDeltaY = PS
        it.ReferencePixelX0 = APEX_COL - REGION[0]
        it.ReferencePixelY0 = 0
        it.ReferencePixelPhysicalValueX = 0.0
        it.ReferencePixelPhysicalValueY = 0.0
        it.RegionSpatialFormat = 1
        it.RegionDataType = 2 if color else 1
        it.RegionFlags = 0
        it.TransducerFrequency = 2500
        if color:
            it.PulseRepetitionFrequency = 4000
        # keep the item sorted by tag (pydicom sorts on write anyway)
        return it

    VIEW_CODES = {
        "PLAX": ("399139001", "SCT", "Parasternal long axis"),
        "A4C": ("399214001", "SCT", "Apical four chamber"),
        "A2C": ("399232001", "SCT", "Apical two chamber"),
    }

    def build_us(pat, study, series, inst_no, frames, frame_ms, hr, view, color, sop_uid, content_time):
        multi = frame_ms > 0
        if not multi:
            frames = frames[0]
        ds = base_dataset(pat, study, series, US_MF_SOP if multi else US_SOP, sop_uid, inst_no, content_time)
        mode = "0011" if color else "0001"
        # value 3 (anatomy) left empty: DICOM has no defined term for transthoracic cardiac
        ds.ImageType = ["ORIGINAL", "PRIMARY", "", mode] if multi else ["DERIVED", "PRIMARY", "", mode]
        ds.AcquisitionDateTime = study["date"] + content_time
        ds.PatientOrientation = ""
        ds.BurnedInAnnotation = "NO"
        ds.LossyImageCompression = "00"
        ds.TransducerData = "S5-1 DEMO"
        ds.ProcessingFunction = "CARDIAC"
        ds.MechanicalIndex = "1.1"
        ds.BoneThermalIndex = "0.8"
        ds.SoftTissueThermalIndex = "0.6"
        ds.DepthOfScanField = int(round(RMAX * 10))
        ds.HeartRate = int(round(hr))
        ds.ViewCodeSequence = Sequence([code(*VIEW_CODES[view])])
        ds.TransducerType = "SECTOR_PHASED"
        ds.SequenceOfUltrasoundRegions = Sequence([us_region(color)])
        ds.ProtocolName = "Adult TTE"
        if multi:
            ds.NumberOfFrames = frames.shape[0]
            ds.FrameIncrementPointer = 0x00181063
            ds.FrameTime = "%.6g" % frame_ms
            rate = int(round(1000.0 / frame_ms))
            ds.CineRate = rate
            ds.RecommendedDisplayFrameRate = rate
            ds.EffectiveDuration = "%.4g" % (frames.shape[0] * frame_ms / 1000.0)
            ds.PreferredPlaybackSequencing = 0
        ds.Rows = H
        ds.Columns = W
        if frames.shape[-1] == 3:
            ds.SamplesPerPixel = 3
            ds.PhotometricInterpretation = "RGB"
            ds.PlanarConfiguration = 0
            ds.UltrasoundColorDataPresent = 1
        else:
            ds.SamplesPerPixel = 1
            ds.PhotometricInterpretation = "MONOCHROME2"
            ds.UltrasoundColorDataPresent = 0
        ds.BitsAllocated = 8
        ds.BitsStored = 8
        ds.HighBit = 7
        ds.PixelRepresentation = 0
        set_pixels(ds, frames)
        return ds

    def build_xa(pat, study, series, frames, fps, hr, sop_uid, content_time):
        ds = base_dataset(pat, study, series, XA_SOP, sop_uid, 1, content_time)
        ds.ImageType = ["ORIGINAL", "PRIMARY", "SINGLE PLANE"]
        ds.AcquisitionDateTime = study["date"] + content_time
        ds.PatientOrientation = ""
        ds.BurnedInAnnotation = "NO"
        ds.LossyImageCompression = "00"
        ds.ContrastBolusAgent = "Iodixanol 320"
        ds.ContrastBolusRoute = "Intra-arterial"
        ds.ContrastBolusVolume = "8"
        ds.ContrastBolusIngredient = "IODINE"
        ds.ContrastBolusIngredientConcentration = "320"
        ds.NumberOfFrames = frames.shape[0]
        ds.FrameIncrementPointer = 0x00181063
        ds.FrameTime = "%.6g" % (1000.0 / fps)
        ds.CineRate = int(fps)
        ds.RecommendedDisplayFrameRate = int(fps)
        ds.EffectiveDuration = "%.4g" % (frames.shape[0] / float(fps))
        ds.KVP = "82"
        ds.RadiationSetting = "GR"
        ds.XRayTubeCurrent = 640
        ds.ExposureTime = 7
        ds.DistanceSourceToDetector = "1100"
        ds.DistanceSourceToPatient = "760"
        ds.EstimatedRadiographicMagnificationFactor = "%.4f" % (1100.0 / 760.0)
        ds.ImagerPixelSpacing = ["0.37", "0.37"]
        ds.IntensifierSize = "220"
        ds.FieldOfViewShape = "ROUND"
        ds.FieldOfViewDimensions = [220]
        ds.PositionerMotion = "STATIC"
        ds.PositionerPrimaryAngle = "-30"
        ds.PositionerSecondaryAngle = "-20"
        ds.ShutterShape = "CIRCULAR"
        ds.CenterOfCircularShutter = [XN // 2, XN // 2]
        ds.RadiusOfCircularShutter = XN // 2 - 6
        ds.ProtocolName = "Coronary Left"
        ds.Rows = XN
        ds.Columns = XN
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = "MONOCHROME2"
        ds.BitsAllocated = 8
        ds.BitsStored = 8
        ds.HighBit = 7
        ds.PixelRepresentation = 0
        ds.PixelIntensityRelationship = "LIN"
        set_pixels(ds, frames)
        return ds

    def num_item(concept, value, unit, image_ref=None):
        it = Dataset()
        it.RelationshipType = "CONTAINS"
        it.ValueType = "NUM"
        it.ConceptNameCodeSequence = Sequence([code(*concept)])
        mv = Dataset()
        mv.MeasurementUnitsCodeSequence = Sequence([code(*unit)])
        mv.NumericValue = value
        it.MeasuredValueSequence = Sequence([mv])
        if image_ref:
            img = Dataset()
            img.RelationshipType = "INFERRED FROM"
            img.ValueType = "IMAGE"
            ref = Dataset()
            ref.ReferencedSOPClassUID = image_ref[0]
            ref.ReferencedSOPInstanceUID = image_ref[1]
            img.ReferencedSOPSequence = Sequence([ref])
            it.ContentSequence = Sequence([img])
        return it

    def build_sr(pat, study, series, sop_uid, content_time, meas, evidence, still_ref):
        ds = base_dataset(pat, study, series, COMP_SR_SOP, sop_uid, 1, content_time)
        del ds.OperatorsName
        del ds.BodyPartExamined
        ds.ReferencedPerformedProcedureStepSequence = Sequence([])
        ds.ValueType = "CONTAINER"
        ds.ConceptNameCodeSequence = Sequence([code("125200", "DCM", "Adult Echocardiography Procedure Report")])
        ds.ContinuityOfContent = "SEPARATE"
        tpl = Dataset()
        tpl.MappingResource = "DCMR"
        tpl.TemplateIdentifier = "5200"
        ds.ContentTemplateSequence = Sequence([tpl])
        ds.CompletionFlag = "COMPLETE"
        ds.VerificationFlag = "UNVERIFIED"
        ds.PerformedProcedureCodeSequence = Sequence([])
        # evidence: all images of the study, grouped by series
        ev = Dataset()
        ev.StudyInstanceUID = study["uid"]
        ser_items = []
        for s_uid, refs in evidence:
            si = Dataset()
            si.SeriesInstanceUID = s_uid
            items = []
            for cls, ins in refs:
                r_ = Dataset()
                r_.ReferencedSOPClassUID = cls
                r_.ReferencedSOPInstanceUID = ins
                items.append(r_)
            si.ReferencedSOPSequence = Sequence(items)
            ser_items.append(si)
        ev.ReferencedSeriesSequence = Sequence(ser_items)
        ds.CurrentRequestedProcedureEvidenceSequence = Sequence([ev])

        content = []
        obs = Dataset()
        obs.RelationshipType = "HAS OBS CONTEXT"
        obs.ValueType = "CODE"
        obs.ConceptNameCodeSequence = Sequence([code("121005", "DCM", "Observer Type")])
        obs.ConceptCodeSequence = Sequence([code("121006", "DCM", "Person")])
        content.append(obs)
        obsn = Dataset()
        obsn.RelationshipType = "HAS OBS CONTEXT"
        obsn.ValueType = "PNAME"
        obsn.ConceptNameCodeSequence = Sequence([code("121008", "DCM", "Person Observer Name")])
        obsn.PersonName = "DEMO^Sonographer"
        content.append(obsn)

        sec = Dataset()
        sec.RelationshipType = "CONTAINS"
        sec.ValueType = "CONTAINER"
        sec.ConceptNameCodeSequence = Sequence([code("121070", "DCM", "Findings")])
        sec.ContinuityOfContent = "SEPARATE"
        site = Dataset()
        site.RelationshipType = "HAS CONCEPT MOD"
        site.ValueType = "CODE"
        site.ConceptNameCodeSequence = Sequence([code("363698007", "SCT", "Finding Site")])
        site.ConceptCodeSequence = Sequence([code("87878005", "SCT", "Left Ventricle")])
        items = [site]
        items.append(num_item(("10230-1", "LN", "Left Ventricular Ejection Fraction"),
                              meas["lvef"], ("%", "UCUM", "%")))
        items.append(num_item(("29436-3", "LN", "Left Ventricle Internal End Diastolic Dimension"),
                              meas["lvidd"], ("mm", "UCUM", "mm"), still_ref))
        items.append(num_item(("29438-9", "LN", "Left Ventricle Internal Systolic Dimension"),
                              meas["lvids"], ("mm", "UCUM", "mm")))
        items.append(num_item(("18154-5", "LN", "Interventricular Septum Diastolic Thickness"),
                              meas["ivsd"], ("mm", "UCUM", "mm"), still_ref))
        items.append(num_item(("8867-4", "LN", "Heart rate"),
                              meas["hr"], ("{H.B.}/min", "UCUM", "BPM")))
        sec.ContentSequence = Sequence(items)
        content.append(sec)
        ds.ContentSequence = Sequence(content)
        return ds

    def encode(ds):
        fm = FileMetaDataset()
        fm.FileMetaInformationVersion = b"\x00\x01"
        fm.MediaStorageSOPClassUID = ds.SOPClassUID
        fm.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        fm.TransferSyntaxUID = EXPLICIT_LE
        fm.ImplementationClassUID = IMPL_UID
        fm.ImplementationVersionName = "SYSTOLE_DEMO_%d" % CONTENT_VERSION
        ds.file_meta = fm
        ds.preamble = b"\x00" * 128
        ds.is_little_endian = True
        ds.is_implicit_VR = False
        buf = BytesIO()
        pydicom.dcmwrite(buf, ds, write_like_original=False)
        return buf.getvalue()

    # ------------------------------------------------------------------
    # The demo data set
    # ------------------------------------------------------------------
    echo_pat = dict(name="DEMO^Echo", id="DEMO0001", birth="19650412", sex="F", size="1.68", weight="71")
    cath_pat = dict(name="DEMO^Cath", id="DEMO0002", birth="19520817", sex="M", size="1.79", weight="88")

    outputs = []  # (relpath, bytes)

    def echo_study(tag, date, time_, accession, study_id, hr, lvidd_mm, ivsd_mm, loops, with_extras):
        st = dict(uid=uid(tag + "/study"), date=date, time=time_, accession=accession, study_id=study_id,
                  description="TTE Demo", referring="DEMO^Referrer^A^Dr.")
        folder = "%s_Echo/%s-%s-%s_TTE%s" % (echo_pat["id"], date[:4], date[4:6], date[6:], "" if with_extras else "_prior")
        evidence = []
        fs = 0.33
        lvidd, ivs = lvidd_mm / 10.0, ivsd_mm / 10.0
        t_min = int(time_[2:4])
        for n, (view, color, frames_n, frame_ms) in enumerate(loops, start=1):
            sname = "%s%s" % (view, " Color" if color else "")
            ser = dict(uid=uid("%s/series/%d" % (tag, n)), number=n, modality="US",
                       description=sname, time=time_[:2] + "%02d" % (t_min + n) + "00",
                       station="ECHO-DEMO-1", model="Synthetic Echo 2000", operator="DEMO^Sonographer")
            key = "%s/%s/%d" % (tag, view, n)
            arr = render_echo_clip(key, view, frames_n, frame_ms, hr, lvidd, ivs, color=color)
            sop = uid(key + "/sop")
            ctime = ser["time"][:4] + "%02d" % (10 + n)
            ds = build_us(echo_pat, st, ser, 1, arr, frame_ms, hr, view, color, sop, ctime)
            evidence.append((ser["uid"], [(US_MF_SOP, sop)]))
            outputs.append(("%s/%02d_%s.dcm" % (folder, n, sname.replace(" ", "_")), encode(ds)))
        if with_extras:
            n = len(loops) + 1
            ser = dict(uid=uid("%s/series/%d" % (tag, n)), number=n, modality="US",
                       description="PLAX Measurements", time=time_[:2] + "%02d" % (t_min + n) + "00",
                       station="ECHO-DEMO-1", model="Synthetic Echo 2000", operator="DEMO^Sonographer")
            key = "%s/PLAX-still" % tag
            # calipers at end-diastole: IVSd and LVIDd, perpendicular to the LV long axis
            xcal = -0.3
            top_cav = 7.0 - lvidd / 2.0
            cal = [((xcal, top_cav - ivs), (xcal, top_cav - 0.02)),
                   ((xcal + 0.15, top_cav + 0.02), (xcal + 0.15, top_cav + lvidd - 0.02))]
            arr = render_echo_clip(key, "PLAX", 1, 33.3333, hr, lvidd, ivs, still=True, calipers=cal)
            sop = uid(key + "/sop")
            ctime = ser["time"][:4] + "30"
            ds = build_us(echo_pat, st, ser, 1, arr, 0, hr, "PLAX", False, sop, ctime)
            evidence.append((ser["uid"], [(US_SOP, sop)]))
            outputs.append(("%s/%02d_PLAX_still.dcm" % (folder, n), encode(ds)))
            still_ref = (US_SOP, sop)
            n += 1
            ser = dict(uid=uid("%s/series/%d" % (tag, n)), number=n, modality="SR",
                       description="Echo Measurements", time=time_[:2] + "%02d" % (t_min + n) + "00",
                       station="ECHO-DEMO-1", model="Synthetic Echo 2000", operator="DEMO^Sonographer")
            lvids = lvidd_mm * (1 - fs)
            edv = 7.0 / (2.4 + lvidd / 1.0) * lvidd ** 3   # Teichholz (cm -> ml)
            esv = 7.0 / (2.4 + lvids / 10.0) * (lvids / 10.0) ** 3
            meas = dict(lvef="%d" % int(round(100 * (edv - esv) / edv)), lvidd="%g" % lvidd_mm,
                        lvids="%g" % round(lvids), ivsd="%g" % ivsd_mm, hr="%d" % hr)
            ds = build_sr(echo_pat, st, ser, uid(tag + "/sr/sop"), ser["time"][:4] + "45", meas, evidence, still_ref)
            outputs.append(("%s/%02d_SR_Measurements.dcm" % (folder, n), encode(ds)))

    t0 = time.time()
    # current study: 75 bpm -> 48 frames @ 33.3 ms = 2 beats; colour at 20 fps: 32 frames = 2 beats
    echo_study("echo-current", "20240314", "093012", "SYSDEMO24001", "TTE24001", 75, 48.0, 10.0,
               [("PLAX", False, 48, 1000.0 / 30), ("A4C", False, 48, 1000.0 / 30),
                ("A2C", False, 48, 1000.0 / 30), ("A4C", True, 32, 50.0)], True)
    # prior study one year earlier: 90 bpm -> 40 frames @ 33.3 ms = 2 beats
    echo_study("echo-prior", "20230309", "141505", "SYSDEMO23017", "TTE23017", 90, 46.0, 9.0,
               [("PLAX", False, 40, 1000.0 / 30), ("A4C", False, 40, 1000.0 / 30)], False)

    # cath patient: XA run, 30 frames at 15 fps
    xst = dict(uid=uid("cath/study"), date="20240220", time="110544", accession="SYSDEMO24007",
               study_id="CATH24007", description="Coronary Angiography Demo", referring="DEMO^Referrer^B^Dr.")
    xser = dict(uid=uid("cath/series/1"), number=1, modality="XA", description="LCA RAO 30 CAUD 20",
                time="111200", station="CATHLAB-DEMO-1", model="Synthetic Angio 500", operator="DEMO^Radiographer")
    xarr = render_xa("cath/run1", 30, 15, 72)
    ds = build_xa(cath_pat, xst, xser, xarr, 15, 72, uid("cath/run1/sop"), "111204")
    outputs.append(("%s_Cath/2024-02-20_XA/01_LCA_RAO30_CAUD20.dcm" % cath_pat["id"], encode(ds)))
    return outputs, time.time() - t0


def write_outputs(out, outputs, old_manifest, fingerprint, seed):
    changed = 0
    files = {}
    for rel, data in outputs:
        p = os.path.join(out, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        same = False
        try:
            if os.path.getsize(p) == len(data):
                with open(p, "rb") as f:
                    same = f.read() == data
        except OSError:
            pass
        if not same:
            tmp = os.path.join(os.path.dirname(p), ".%s.tmp" % os.path.basename(p))
            with open(tmp, "wb") as f:
                f.write(data)
            os.replace(tmp, p)
            changed += 1
        files[rel] = dict(size=len(data), sha256=hashlib.sha256(data).hexdigest())
    # remove files that an earlier run wrote but this one no longer produces
    removed = 0
    if old_manifest and isinstance(old_manifest.get("files"), dict):
        for rel in old_manifest["files"]:
            if rel not in files:
                p = os.path.join(out, rel)
                if os.path.isfile(p):
                    os.remove(p)
                    removed += 1
                d = os.path.dirname(p)
                while d and os.path.abspath(d) != os.path.abspath(out):
                    try:
                        os.rmdir(d)
                    except OSError:
                        break
                    d = os.path.dirname(d)
    manifest = dict(generator=TOOL_NAME, content_version=CONTENT_VERSION, seed=seed,
                    fingerprint=fingerprint, files=files)
    tmp = os.path.join(out, MANIFEST_NAME + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write("\n")
    os.replace(tmp, os.path.join(out, MANIFEST_NAME))
    return changed, removed


def summary(files):
    total = sum(i["size"] for i in files.values())
    pats = {rel.split("/")[0] for rel in files}
    studies = {"/".join(rel.split("/")[:2]) for rel in files}
    return "%d files, %d patients, %d studies, %.1f MB" % (len(files), len(pats), len(studies), total / 1e6)


def main(argv=None):
    ap = argparse.ArgumentParser(description="Write a synthetic cardiology demo DICOM set (echo + XA).")
    ap.add_argument("--out", required=True, help="output directory (created if missing)")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1); same seed -> identical files")
    ap.add_argument("--force", action="store_true", help="regenerate even if DIR is up to date")
    ap.add_argument("--quiet", action="store_true", help="print nothing on success")
    args = ap.parse_args(argv)
    if args.seed < 0:
        ap.error("--seed must be >= 0")
    out = args.out
    os.makedirs(out, exist_ok=True)
    fingerprint = tool_fingerprint(args.seed)
    old = load_manifest(out)
    if not args.force and manifest_is_current(out, old, fingerprint):
        if not args.quiet:
            print("make_demo_study: %s up to date (%s, seed %d)" % (out, summary(old["files"]), args.seed))
        return 0
    outputs, secs = generate(out, args.seed, args.quiet)
    changed, removed = write_outputs(out, outputs, old, fingerprint, args.seed)
    if not args.quiet:
        files = {rel: dict(size=len(d)) for rel, d in outputs}
        print("make_demo_study: wrote %s to %s (seed %d, %d changed, %d removed, %.1fs)"
              % (summary(files), out, args.seed, changed, removed, secs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
