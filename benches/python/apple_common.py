"""Shared field building for the Python baselines: the same fields phrkit builds per Record.

For each top-level Record: type, value (Decimal), unit, source (name, version, device without its
HKDevice memory address, cached per distinct source as phrkit does), start/end/creation dates parsed with
their offsets, and metadata entries. Correlation/Workout/ActivitySummary elements are counted.
"""

import re
import sys
import time
from datetime import datetime
from decimal import Decimal, InvalidOperation

ADDRESS = re.compile(r"0x[0-9a-fA-F]+")
DATE_FMT = "%Y-%m-%d %H:%M:%S %z"


def parse_device(raw):
    if not raw:
        return None
    body = ADDRESS.sub("", raw)
    fields = {}
    for part in body.split(", "):
        if ":" in part:
            k, v = part.split(":", 1)
            fields[k.strip("<> ")] = v.strip("<> ")
    return fields


class Builder:
    def __init__(self):
        self.sources = {}
        self.records = 0
        self.items = 0

    def source(self, attrib):
        dev = attrib.get("device")
        key = (attrib.get("sourceName"), attrib.get("sourceVersion"), ADDRESS.sub("", dev) if dev else None)
        s = self.sources.get(key)
        if s is None:
            s = {"name": key[0], "version": key[1], "device": parse_device(dev)}
            self.sources[key] = s
        return s

    def record(self, elem):
        a = elem.attrib
        value = a.get("value")
        try:
            value = Decimal(value) if value is not None else None
        except InvalidOperation:
            pass
        rec = {
            "type": a.get("type"),
            "value": value,
            "unit": a.get("unit"),
            "source": self.source(a),
            "start": datetime.strptime(a["startDate"], DATE_FMT),
            "end": datetime.strptime(a["endDate"], DATE_FMT),
            "created": datetime.strptime(a["creationDate"], DATE_FMT) if "creationDate" in a else None,
            "metadata": [(m.get("key"), m.get("value")) for m in elem.iter("MetadataEntry")],
        }
        self.records += 1
        return rec


def run(iterparse, path):
    b = Builder()
    t0 = time.perf_counter()
    depth = 0
    for event, elem in iterparse(path, events=("start", "end")):
        if event == "start":
            depth += 1
            continue
        depth -= 1
        if depth == 1:
            tag = elem.tag
            if tag == "Record":
                b.record(elem)
                b.items += 1
            elif tag in ("Correlation", "Workout", "ActivitySummary", "Me"):
                b.items += 1
            elem.clear()
    secs = time.perf_counter() - t0
    import os

    size = os.path.getsize(path)
    print(f"records={b.records} items={b.items} secs={secs:.2f} MB/s={size / 1e6 / secs:.1f}")


def main(iterparse):
    if len(sys.argv) != 2:
        sys.exit("usage: python apple_*.py export.xml")
    run(iterparse, sys.argv[1])
