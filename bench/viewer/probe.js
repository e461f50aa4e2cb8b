// The outside probe of the viewer bench, injected before any page script
// (page.addInitScript) and identical for every viewer: one requestAnimationFrame
// loop that, every refresh, reads the viewport canvas (the largest visible
// canvas on the page: looked for at every refresh until the first picture,
// then every 30) back as a 48x32 downscale, hashes it, and records
//   rafs:    the rAF callback times (the page's rAF rate),
//   changes: [time, hash] each time the picture differs from the previous
//            refresh (a new frame presented),
//   firstPaintMs: when the canvas first held a picture (>= 2 % of the
//            downscaled pixels brighter than black), or when an image
//            covering a quarter of the window or more was first painted
//            (imagePaintMs), if that was earlier,
//   canvasPaintMs: the canvas part of that,
//   imagePaintMs: that image's paint, as the browser reports it (Element
//            Timing renderTime; the probe marks every <img> for it): a
//            frame a page shows as an image before its canvas draws (an
//            image is not read back: drawing it here would decode it on the
//            main thread, sooner than the page paints it),
//   longFrames: the browser's long-animation-frame entries (main thread busy
//            > 50 ms between two paints).
// Times are performance.now(): ms since the navigation started. The cost is
// one 48x32 drawImage + getImageData per refresh, the same for every viewer.
(() => {
  const W = 48;
  const H = 32;
  const probe = { rafs: [], changes: [], firstPaintMs: null, canvasPaintMs: null, imagePaintMs: null, canvas: null, longFrames: [] };
  window.__viewerBenchProbe = probe;
  const painted = (ms) => {
    if (probe.firstPaintMs === null || ms < probe.firstPaintMs) probe.firstPaintMs = ms;
  };
  // Large images painted (Element Timing reports elements carrying an elementtiming attribute).
  try {
    const mark = (node) => {
      if (!(node instanceof Element)) return;
      for (const img of node.matches('img') ? [node] : node.querySelectorAll('img'))
        if (!img.hasAttribute('elementtiming')) img.setAttribute('elementtiming', 'probe');
    };
    new MutationObserver((records) => {
      for (const r of records) for (const n of r.addedNodes) mark(n);
    }).observe(document, { childList: true, subtree: true });
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        const r = e.intersectionRect;
        if (!e.renderTime || r.width * r.height < (innerWidth * innerHeight) / 4) continue;
        if (probe.imagePaintMs === null || e.renderTime < probe.imagePaintMs) probe.imagePaintMs = e.renderTime;
        painted(e.renderTime);
      }
    }).observe({ type: 'element', buffered: true });
  } catch {
    probe.imagePaintMs = undefined; // not supported by this browser
  }
  // Long animation frames (> 50 ms of main-thread work between two paints): [start, duration, blocking]
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) probe.longFrames.push([e.startTime, e.duration, e.blockingDuration]);
    }).observe({ type: 'long-animation-frame', buffered: true });
  } catch {
    probe.longFrames = null; // not supported by this browser
  }
  let small = null;
  let ctx = null;
  let target = null;
  let count = 0;
  let last = -1;
  const pick = () => {
    let best = null;
    let area = 0;
    for (const c of document.querySelectorAll('canvas')) {
      const a = c.clientWidth * c.clientHeight;
      if (c !== small && a > area && getComputedStyle(c).visibility !== 'hidden') {
        area = a;
        best = c;
      }
    }
    return best;
  };
  const tick = () => {
    const now = performance.now();
    probe.rafs.push(now);
    if (!target || !target.isConnected || probe.canvasPaintMs === null || count++ % 30 === 0) target = pick();
    if (target && target.width > 0 && target.height > 0) {
      if (!ctx) {
        small = document.createElement('canvas');
        small.width = W;
        small.height = H;
        ctx = small.getContext('2d', { willReadFrequently: true });
      }
      probe.canvas = { className: String(target.className), width: target.width, height: target.height };
      ctx.drawImage(target, 0, 0, W, H);
      const d = ctx.getImageData(0, 0, W, H).data;
      let h = 2166136261;
      let lit = 0;
      for (let i = 0; i < d.length; i += 4) {
        h = Math.imul(h ^ (d[i] | (d[i + 1] << 8) | (d[i + 2] << 16)), 16777619) >>> 0;
        if (d[i] + d[i + 1] + d[i + 2] > 72) lit++;
      }
      const picture = lit >= (W * H) / 50;
      if (picture && probe.canvasPaintMs === null) {
        probe.canvasPaintMs = now;
        painted(now);
      }
      if (picture && h !== last) probe.changes.push([now, h]);
      last = h;
    }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})();
