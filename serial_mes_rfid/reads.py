# This file is part of Serial MES.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Batches of RFID tag reads as readers and middleware send them.

`parse(data, reader=None, batch_id=None)` turns one HTTP body or one MQTT
message into a `Batch` of `Read` tuples, or raises `ReadsError` (a
`ValueError`) with a one-line reason naming the faulty read.  No Tryton
import: the ingestion service (rfid.py), the HTTP route and the MQTT bridge
all call it.

Shapes accepted (data: bytes, str or the already decoded JSON value)
--------------------------------------------------------------------
1. Serial MES (documented in data/rfid/README.md)::

    {"batch": "dock-1/000123",          optional, at most 200 characters
     "reader": "dock-1",                optional default of the reads
     "reads": [{"epc": "3074257BF7194E4000001A85",    EPC bank, hex
                "antenna": 1,                          antenna port
                "time": "2025-06-02T08:15:02.120+02:00",
                "rssi": -52.5,                         optional, dBm
                "reader": "dock-1"}]}                  optional

   A bare JSON list of such reads is accepted too.
2. Impinj IoT device interface (R700) events, one object, a JSON list or
   JSON lines (its HTTP stream): ``{"timestamp": ..., "hostname": ...,
   "eventType": "tagInventory", "tagInventoryEvent": {"epcHex" or "epc"
   (base64), "antennaPort", "peakRssiCdbm", "firstSeenTime"/
   "lastSeenTime"}}``.  Other event types (antenna connected, inventory
   status...) are counted as ignored.  The reader is ``hostname``.
3. Zebra IoT Connector (FX7500/FX9600/ATR7000) tag data events, one object
   or a JSON list (batched mode): ``{"timestamp": ..., "type": "SIMPLE",
   "data": {"idHex", "antenna", "peakRssi", ...}}``.  The payload does not
   name the reader: it comes from the MQTT topic or the route's
   ``?reader=`` parameter.

Rules: ``time`` is ISO 8601 (a time without offset is UTC) or a Unix epoch
number (seconds; milliseconds above 1e11, microseconds above 1e14), from
1970 to 2099 in UTC; the antenna is a port number from 1; an EPC is hex
(``0x`` and case ignored).  An EPC that is not hex is kept as sent and ends
in the review list as undecodable, not as an error, unless it holds
characters that are not printable (NUL, control characters, lone
surrogates): those refuse the batch, as does JSON nested too deeply.  Without a batch id in the payload or from
the caller, the id is ``sha256:`` + the digest of the reader given apart
(topic, request) and the payload, so a redelivered message is recognised.
"""
from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import NamedTuple

__all__ = ["MAX_BYTES", "MAX_READS", "Batch", "Read", "ReadsError", "parse"]

MAX_BYTES = 8 * 1024 * 1024
MAX_READS = 100000
MAX_EPC_LENGTH = 128
MAX_ID_LENGTH = 200
_HEX = re.compile(r"[0-9A-F]+")
_EPOCH_MAX = 4102444800         # 2100-01-01
_UTC = dt.timezone.utc
_TIME_MIN = dt.datetime(1970, 1, 1)
_TIME_MAX = dt.datetime(2100, 1, 1)


class ReadsError(ValueError):
    "A batch of reads that cannot be ingested; nothing of it is written"


class Read(NamedTuple):
    reader: str
    antenna: int
    epc: str            # uppercase hex, or the text sent when not hex
    time: dt.datetime   # naive UTC
    offset: str         # the sender's UTC offset, +HH:MM
    rssi: float | None


@dataclass
class Batch:
    batch_id: str
    reads: list = field(default_factory=list)
    reader: str | None = None
    shape: str = "serial-mes"
    ignored: int = 0


def parse(data, reader=None, batch_id=None) -> Batch:
    """The Batch in data (bytes, str, dict or list).

    reader names the reader of reads that do not name one (MQTT topic,
    HTTP parameter); batch_id is used when the payload has no "batch"."""
    raw = None
    if isinstance(data, (bytes, bytearray, memoryview)):
        raw = bytes(data)
        if len(raw) > MAX_BYTES:
            raise ReadsError(
                f"Expected at most {MAX_BYTES} bytes, got {len(raw)}")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exception:
            raise ReadsError(f"Expected UTF-8 JSON: {exception}")
        value = _loads(text)
    elif isinstance(data, str):
        raw = data.encode("utf-8")
        if len(raw) > MAX_BYTES:
            raise ReadsError(
                f"Expected at most {MAX_BYTES} bytes, got {len(raw)}")
        value = _loads(data)
    else:
        value = data
    if reader is not None:
        reader = _identifier(reader, "reader")
    if isinstance(value, dict) and "reads" in value:
        batch = _native(value, reader)
    elif isinstance(value, dict):
        batch = _events([value], reader)
    elif isinstance(value, list):
        if value and all(isinstance(v, dict) and "epc" in v for v in value):
            batch = _native({"reads": value}, reader)
        else:
            batch = _events(value, reader)
    else:
        raise ReadsError("Expected a JSON object or list of reads, got "
            f"{type(value).__name__}")
    if len(batch.reads) > MAX_READS:
        raise ReadsError(f"Expected at most {MAX_READS} reads in a batch, "
            f"got {len(batch.reads)}")
    if batch.batch_id is None and batch_id is not None:
        batch.batch_id = _identifier(batch_id, "batch")
    if batch.batch_id is None:
        if raw is None:
            try:
                raw = json.dumps(value, sort_keys=True,
                    separators=(",", ":")).encode("utf-8")
            except RecursionError:
                raise ReadsError(_TOO_DEEP)
            except UnicodeEncodeError:
                raise ReadsError("Expected text of Unicode characters, got "
                    "a lone surrogate")
        # the reader given apart (topic, request) is part of the batch
        digest = hashlib.sha256((reader or "").encode("utf-8") + b"\0")
        digest.update(raw)
        batch.batch_id = "sha256:" + digest.hexdigest()
    return batch


_TOO_DEEP = "Malformed JSON: nested too deeply"


def _loads(text):
    try:
        return json.loads(text)
    except RecursionError:
        raise ReadsError(_TOO_DEEP)
    except ValueError as exception:
        lines = [line for line in text.splitlines() if line.strip()]
        if len(lines) > 1:      # JSON lines (Impinj HTTP stream)
            values = []
            for number, line in enumerate(lines, 1):
                line = line.strip()
                if line.startswith("data:"):    # server-sent events
                    line = line[5:]
                try:
                    values.append(json.loads(line))
                except RecursionError:
                    raise ReadsError(f"Line {number}: {_TOO_DEEP}")
                except ValueError as line_exception:
                    raise ReadsError(f"Malformed JSON on line {number}: "
                        f"{line_exception}")
            return values
        raise ReadsError(f"Malformed JSON: {exception}")


def _identifier(value, name):
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise ReadsError(f"Expected {name} as a non-empty string, got "
            f"{_show(value)}")
    value = value.strip()
    if len(value) > MAX_ID_LENGTH or not value.isprintable():
        raise ReadsError(f"Expected {name} of at most {MAX_ID_LENGTH} "
            f"printable characters, got {_show(value)}")
    return value


def _native(value, reader):
    unknown = set(value) - {"batch", "reader", "reads"}
    if unknown:
        raise ReadsError("Unexpected key(s) %s in the batch (expected "
            "batch, reader, reads)" % ", ".join(sorted(map(repr, unknown))))
    batch = Batch(batch_id=None, shape="serial-mes")
    if value.get("batch") is not None:
        batch.batch_id = _identifier(value["batch"], "batch")
    if value.get("reader") is not None:
        reader = _identifier(value["reader"], "reader")
    batch.reader = reader
    reads = value["reads"]
    if not isinstance(reads, list):
        raise ReadsError(
            f"Expected reads as a JSON list, got {type(reads).__name__}")
    append = batch.reads.append
    for number, item in enumerate(reads, 1):
        if not isinstance(item, dict):
            raise ReadsError(f"Read {number}: expected a JSON object, got "
                f"{type(item).__name__}")
        where = f"Read {number}"
        read_reader = item.get("reader")
        if read_reader is not None:
            read_reader = _identifier(read_reader, f"{where} reader")
        elif reader is None:
            raise ReadsError(f"{where}: no reader (give it in the read, the "
                "batch, the topic or the request)")
        else:
            read_reader = reader
        if "time" not in item:
            raise ReadsError(f"{where}: no time")
        time, offset = _time(item["time"], where)
        append(Read(read_reader, _antenna(item.get("antenna"), where),
                _epc(item.get("epc"), where), time, offset,
                _rssi(item.get("rssi"), where)))
    return batch


def _events(values, reader):
    batch = Batch(batch_id=None, reader=reader)
    shapes = set()
    append = batch.reads.append
    for number, event in enumerate(values, 1):
        where = f"Event {number}"
        if not isinstance(event, dict):
            raise ReadsError(f"{where}: expected a JSON object, got "
                f"{type(event).__name__}")
        if "tagInventoryEvent" in event or "eventType" in event:
            shapes.add("impinj")
            read = _impinj(event, reader, where)
        elif isinstance(event.get("data"), dict):
            shapes.add("zebra")
            read = _zebra(event, reader, where)
        else:
            raise ReadsError(f"{where}: expected a Serial MES batch "
                "(\"reads\"), an Impinj event (\"tagInventoryEvent\") or a "
                "Zebra IoT Connector event (\"data\"), got keys "
                + ", ".join(sorted(map(repr, event))[:8]))
        if read is None:
            batch.ignored += 1
        else:
            append(read)
    batch.shape = "+".join(sorted(shapes)) or "serial-mes"
    return batch


def _impinj(event, reader, where):
    tag = event.get("tagInventoryEvent")
    if tag is None:
        if event.get("eventType") == "tagInventory":
            raise ReadsError(f"{where}: tagInventory without "
                "tagInventoryEvent")
        return None         # antenna, status, diagnostic events
    if not isinstance(tag, dict):
        raise ReadsError(f"{where}: expected tagInventoryEvent as an object")
    hostname = event.get("hostname")
    if hostname is not None:
        reader = _identifier(hostname, f"{where} hostname")
    elif reader is None:
        raise ReadsError(f"{where}: no reader (no hostname, topic or "
            "request reader)")
    if tag.get("epcHex") is not None:
        epc = _epc(tag["epcHex"], where)
    else:
        epc = tag.get("epc")
        if not isinstance(epc, str) or not epc:
            raise ReadsError(f"{where}: no epcHex or epc")
        try:
            epc = base64.b64decode(epc, validate=True).hex().upper()
        except (binascii.Error, ValueError):
            epc = epc[:MAX_EPC_LENGTH]      # undecodable: goes to review
        epc = _epc(epc, where)
    for key in ("firstSeenTime", "lastSeenTime", "timestamp"):
        value = tag.get(key) if key != "timestamp" else event.get(key)
        if value is not None:
            break
    else:
        raise ReadsError(f"{where}: no timestamp")
    time, offset = _time(value, where)
    rssi = tag.get("peakRssiCdbm")
    if rssi is not None:
        rssi = _rssi(rssi, where) / 100
    return Read(reader, _antenna(tag.get("antennaPort"), where), epc, time,
        offset, rssi)


def _zebra(event, reader, where):
    data = event["data"]
    if reader is None:
        raise ReadsError(f"{where}: no reader (Zebra events do not name "
            "it: give it by topic or request)")
    epc = data.get("idHex", data.get("EPC"))
    if epc is None:
        return None         # not a tag read
    if "timestamp" not in event:
        raise ReadsError(f"{where}: no timestamp")
    time, offset = _time(event["timestamp"], where)
    return Read(reader, _antenna(data.get("antenna"), where),
        _epc(epc, where), time, offset, _rssi(data.get("peakRssi"), where))


def _epc(value, where):
    if not isinstance(value, str):
        raise ReadsError(f"{where}: expected epc as a hex string, got "
            f"{_show(value)}")
    text = value.strip().upper()
    if text.startswith("0X"):
        text = text[2:]
    if not text:
        raise ReadsError(f"{where}: empty epc")
    if len(text) > MAX_EPC_LENGTH:
        raise ReadsError(f"{where}: expected an epc of at most "
            f"{MAX_EPC_LENGTH} hex digits, got {len(text)} characters")
    if not _HEX.fullmatch(text):
        if not text.isprintable():
            raise ReadsError(f"{where}: expected an epc of printable "
                f"characters, got {_show(value)}")
        return value.strip()
    return text


def _antenna(value, where):
    if (isinstance(value, str) and value.strip().isascii()
            and value.strip().isdigit() and len(value.strip()) <= 5):
        value = int(value)
    if (not isinstance(value, int) or isinstance(value, bool)
            or not 1 <= value <= 65535):
        raise ReadsError(f"{where}: expected antenna as a port number from "
            f"1, got {_show(value)}")
    return value


def _rssi(value, where):
    if value is None:
        return None
    if (not isinstance(value, (int, float)) or isinstance(value, bool)
            or value != value or abs(value) > 1e6):
        raise ReadsError(f"{where}: expected rssi as a number, got "
            f"{_show(value)}")
    return float(value)


_offsets = {}


def _time(value, where):
    if isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            raise ReadsError(f"{where}: expected an ISO 8601 time, got "
                f"{_show(value)}")
        delta = moment.utcoffset()
        try:
            time = (moment - delta).replace(tzinfo=None) if delta else (
                moment.replace(tzinfo=None))
        except OverflowError:
            time = None
        if time is None or not _TIME_MIN <= time < _TIME_MAX:
            raise ReadsError(f"{where}: time out of range (1970 to 2099 "
                f"in UTC): {_show(value)}")
        if delta is None:
            return time, "+00:00"
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = value
        if not -_EPOCH_MAX * 1e6 < seconds < _EPOCH_MAX * 1e6:
            seconds = None      # also too large for a float
        elif seconds > 1e14:
            seconds = seconds / 1e6
        elif seconds > 1e11:
            seconds = seconds / 1e3
        if seconds is None or not 0 <= seconds < _EPOCH_MAX:
            raise ReadsError(f"{where}: epoch time out of range: "
                f"{_show(value)}")
        return (dt.datetime.fromtimestamp(seconds, _UTC).replace(
                tzinfo=None), "+00:00")
    else:
        raise ReadsError(f"{where}: expected time as an ISO 8601 string or "
            f"an epoch number, got {_show(value)}")
    try:
        offset = _offsets[delta]
    except KeyError:
        minutes = int(delta.total_seconds()) // 60
        sign = "-" if minutes < 0 else "+"
        offset = _offsets[delta] = "%s%02d:%02d" % (
            sign, abs(minutes) // 60, abs(minutes) % 60)
    return time, offset


def _show(value, limit=60):
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."
