"""Report delivery end to end with the real `systole serve`: signed report
versions queued in the index (as the reporting service will queue them) are
stored back into the study as SR + Encapsulated PDF and sent as ORU^R01 to a
real MLLP receiver (a python3 socket server) that first answers AE, then is
down, then answers AA. The report is delivered exactly once, every attempt is
in GET /api/deliveries, and jobs in flight at a stop are pending again at start.
"""
import json
import socket
import sqlite3
import threading
import time

import hl7

from conftest import free_port, http_request

STUDY = "1.2.826.0.1.3680043.8.498.424242"


def report(version=1):
    signature = {"signer": "jsmith", "signer_display": "Dr Jane Smith", "signed_at": "2026-11-22T10:15:00Z",
                 "content_sha256": "ab" * 32}
    return {
        "report_id": "RPT-IT-1", "version": version, "status": "final" if version == 1 else "addendum",
        "template_id": "tte", "template_title": "Transthoracic echocardiogram", "institution": "Clinique Süd",
        "patient": {"identity": {"id": "IT-PAT-1", "issuer": "HOSP"}, "name": "Öztürk^Ayşe", "birth_date": "19700101",
                    "sex": "F"},
        "study_instance_uid": STUDY, "accession_number": "IT-ACC-1", "study_date": "20261122", "study_time": "0930",
        "study_description": "Echo", "referring_physician": "", "indication": "Dyspnoea",
        "sections": [{"id": "lv", "title": "Left ventricle", "values": [
            {"field_id": "lv.ef", "label": "LV ejection fraction", "code": {"value": "18043-0", "scheme": "LN",
             "meaning": "Left ventricular Ejection fraction"}, "kind": "number", "value": "55", "unit": "%",
             "normal_range": "52-72", "flag": "", "source": "device"},
            {"field_id": "dia.e_e", "label": "E/e' average", "code": {"value": "59111-5", "scheme": "LN", "meaning": "E/e'"},
             "kind": "number", "value": "15.2", "unit": "1", "normal_range": "<14", "flag": "H", "source": "derived"}]}],
        "findings": "Normal LV size, LVEF 55 %.", "impression": "Preserved systolic function.",
        "signature": signature, "addenda": [], "created_at": "2026-11-22T09:50:00Z",
    }


class MllpReceiver:
    """A python3 MLLP listener: answers AE or AA (switchable), records every message."""

    def __init__(self, port):
        self.port, self.code, self.messages = port, "AE", []
        self.sock = None

    def start(self):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", self.port))
        self.sock.listen()
        threading.Thread(target=self._serve, args=(self.sock,), daemon=True).start()

    def stop(self):
        self.sock.close()

    def _serve(self, sock):
        while True:
            try:
                conn, _ = sock.accept()
            except OSError:
                return
            with conn:
                data = b""
                while not data.endswith(b"\x1c\r"):
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                text = data.strip(b"\x0b\x1c\r").decode("utf-8")
                message = hl7.parse(text.replace("\n", "\r"))
                self.messages.append((self.code, text))
                control = str(message.segment("MSH")(10))
                ack = f"MSH|^~\\&|EHR|X|SYSTOLE||20261123||ACK|A{len(self.messages)}|P|2.5.1\rMSA|{self.code}|{control}"
                if self.code != "AA":
                    ack += "\rERR|||207^Application internal error^HL70357|E||||patient unknown"
                conn.sendall(b"\x0b" + ack.encode() + b"\x1c\r")


def deliveries(server, state=""):
    r = http_request(server.http_port, "GET", "/api/deliveries" + (f"?state={state}" if state else ""))
    assert r.status == 200, r.body
    return r.json()["deliveries"]


def wait_for(predicate, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out")


def test_delivery_retries_until_acknowledged_and_survives_restart(make_server, tmp_path):
    hl7_port = free_port()
    args = ["--config", str(tmp_path / "systole.toml")]
    (tmp_path / "systole.toml").write_text(
        "[delivery]\nretry_initial_seconds = 1\nretry_max_seconds = 2\nmax_attempts = 20\n"
        f'hl7_destinations = ["EHR=127.0.0.1:{hl7_port}"]\nreceiving_facility = "CARDIO"\n')
    data = tmp_path / "data"
    first = make_server("first", extra_args=args, data_dir=data)
    assert deliveries(first) == []
    assert http_request(first.http_port, "GET", "/api/deliveries?state=lost").status == 400
    assert http_request(first.http_port, "POST", "/api/deliveries/77/resend").status == 404
    assert http_request(first.http_port, "GET", "/api/reports/RPT-IT-1/pdf").status == 404
    first.stop()

    # What the reporting service will write at signing; the EHR job as if a crash left it in flight.
    with sqlite3.connect(data / "index.db") as db:
        for destination, state in (("archive", "pending"), ("EHR", "in_flight")):
            db.execute("INSERT INTO delivery_jobs (report_id, version, destination, state, document, created_at, "
                       "next_attempt_at) VALUES ('RPT-IT-1', 1, ?, ?, ?, '2026-11-23T00:00:00.000Z', "
                       "'2026-11-23T00:00:00.000Z')", (destination, state, json.dumps(report())))

    receiver = MllpReceiver(hl7_port)
    receiver.start()
    second = make_server("second", extra_args=args, data_dir=data)
    assert "were in flight at the last stop" in second.log()
    archive = wait_for(lambda: [j for j in deliveries(second, "delivered") if j["destination"] == "archive"])[0]
    assert "stored SR" in archive["attempts"][0]["detail"]
    qido = http_request(second.http_port, "GET", f"/dicomweb/studies/{STUDY}/instances")
    assert qido.status == 200, qido.body
    classes = sorted(i["00080016"]["Value"][0] for i in qido.json())
    assert classes == ["1.2.840.10008.5.1.4.1.1.104.1", "1.2.840.10008.5.1.4.1.1.88.33"]

    wait_for(lambda: len(receiver.messages) >= 1)
    receiver.stop()          # down: connection refused
    wait_for(lambda: any("refused" in a["detail"] for j in deliveries(second, "pending") for a in j["attempts"]))
    receiver.code = "AA"
    receiver.start()
    ehr = wait_for(lambda: [j for j in deliveries(second, "delivered") if j["destination"] == "EHR"])[0]
    codes = [a["ackCode"] for a in ehr["attempts"]]
    assert codes[0] == "AE" and codes[-1] == "AA" and "" in codes, codes
    assert [code for code, _ in receiver.messages].count("AA") == 1
    oru = hl7.parse(receiver.messages[-1][1].replace("\n", "\r"))
    assert str(oru.segment("MSH")(4)) == "Clinique Süd"
    assert str(oru.segment("MSH")(6)) == "CARDIO"
    obx = {str(s(3)(1)(1)): s for s in oru.segments("OBX")}
    assert str(obx["18043-0"](5)) == "55" and str(obx["59111-5"](8)) == "H"
    second.stop()

    # Restart: nothing is sent again; the history is kept.
    third = make_server("third", extra_args=args, data_dir=data)
    time.sleep(2)
    assert [code for code, _ in receiver.messages].count("AA") == 1
    again = [j for j in deliveries(third, "delivered") if j["destination"] == "EHR"][0]
    assert len(again["attempts"]) == len(ehr["attempts"])
    receiver.stop()
