#!/usr/bin/python3
"""Reads an HL7 v2 ORU^R01 with python-hl7 (an independent parser) and prints
what oru_delivery_test checks, as JSON: a few header fields and every OBX."""
import json
import sys

import hl7


def text(message, field):
    return message.unescape(str(field))


def main():
    raw = open(sys.argv[1], encoding="utf-8", newline="").read()  # keep the CR segment ends
    message = hl7.parse(raw)
    pid = message.segment("PID")
    obr = message.segment("OBR")
    out = {
        "msh4": text(message, message.segment("MSH")(4)),
        "msh9": str(message.segment("MSH")(9)),
        "msh10": text(message, message.segment("MSH")(10)),
        "pid3": [text(message, pid(3)(1)(1)), text(message, pid(3)(1)(4))],
        "pid5": [text(message, pid(5)(1)(1)), text(message, pid(5)(1)(2))],
        "pid7": str(pid(7)),
        "orc2": text(message, message.segment("ORC")(2)),
        "obr4": text(message, obr(4)(1)(1)),
        "obr18": text(message, obr(18)),
        "obr25": str(obr(25)),
        "obx": [],
    }
    for obx in message.segments("OBX"):
        out["obx"].append({
            "type": str(obx(2)),
            "code": text(message, obx(3)(1)(1)),
            "system": text(message, obx(3)(1)(3)),
            "value": text(message, obx(5)),
            "units": text(message, obx(6)(1)(1)) if str(obx(6)) else "",
            "range": text(message, obx(7)),
            "flag": text(message, obx(8)),
            "status": str(obx(11)),
        })
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
