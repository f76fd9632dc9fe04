"""Does the local Kafka broker / MongoDB-wire server answer?

    python3 scripts/probe.py kafka 127.0.0.1:9092 [--wait SECONDS] [--pid PID]
    python3 scripts/probe.py mongo 127.0.0.1:27017 [--wait SECONDS] [--pid PID]

Used by scripts/kafka.sh and scripts/mongo.sh for `start` (wait until ready)
and `status`. It speaks the two wire protocols with the standard library only,
on purpose: `services.sh up` runs in CI before the project's virtualenv may
exist, and a client library's own reconnect/back-off logic would blur what we
want to know here, which is "does the server answer one request right now".
The client-level checks (kafka-python, mongoengine) are in check_services.py.

Exit status: 0 answers; 1 does not answer (in time); 2 the --pid process died
while we waited, so there is no point waiting longer.
"""

from __future__ import annotations

import argparse
import os
import socket
import struct
import sys
import time

IO_TIMEOUT_S = 3.0


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("connection closed mid-response")
        buf += chunk
    return bytes(buf)


# --- Kafka ---------------------------------------------------------------


def _kafka_request(
    sock: socket.socket, api_key: int, version: int, corr: int, body: bytes
) -> bytes:
    client_id = b"modelguard-probe"
    # Request header v1: the one every broker since 0.10 accepts for these APIs.
    header = struct.pack(">hhih", api_key, version, corr, len(client_id)) + client_id
    payload = header + body
    sock.sendall(struct.pack(">i", len(payload)) + payload)
    (size,) = struct.unpack(">i", _recv_exact(sock, 4))
    resp = _recv_exact(sock, size)
    (got_corr,) = struct.unpack(">i", resp[:4])
    if got_corr != corr:
        raise ConnectionError(f"correlation id {got_corr} != {corr}")
    return resp[4:]


def probe_kafka(host: str, port: int) -> str:
    with socket.create_connection((host, port), timeout=IO_TIMEOUT_S) as sock:
        sock.settimeout(IO_TIMEOUT_S)
        # ApiVersions v0 is the one request a broker of any version must answer.
        resp = _kafka_request(sock, 18, 0, 1, b"")
        (err,) = struct.unpack(">h", resp[:2])
        if err != 0:
            raise ConnectionError(f"ApiVersions error code {err}")
        # A KRaft broker accepts connections before it has registered with its
        # controller; until then Metadata lists no brokers and clients cannot
        # produce. From v1 on, an empty topic array asks for no topics (null
        # would mean all of them, and v0 read empty as all), so the probe never
        # triggers auto-creation and stays cheap however many topics exist.
        resp = _kafka_request(sock, 3, 1, 2, struct.pack(">i", 0))
        (n_brokers,) = struct.unpack(">i", resp[:4])
        if n_brokers < 1:
            raise ConnectionError("broker not registered yet (metadata lists no brokers)")
    return f"{n_brokers} broker(s) in metadata"


# --- MongoDB wire ----------------------------------------------------------


def _bson_cstring(s: str) -> bytes:
    return s.encode() + b"\x00"


def _bson_encode(doc: dict) -> bytes:
    out = bytearray()
    for key, value in doc.items():
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise TypeError("probe only encodes int and str values")
        if isinstance(value, int):
            out += b"\x10" + _bson_cstring(key) + struct.pack("<i", value)
        else:
            raw = value.encode() + b"\x00"
            out += b"\x02" + _bson_cstring(key) + struct.pack("<i", len(raw)) + raw
    return struct.pack("<i", len(out) + 5) + bytes(out) + b"\x00"


def _bson_top_level(data: bytes) -> dict:
    """Decode the scalar top-level fields of a BSON document, skipping nested ones."""
    fields: dict = {}
    (total,) = struct.unpack("<i", data[:4])
    i = 4
    while i < total - 1:
        kind = data[i]
        end = data.index(b"\x00", i + 1)
        key = data[i + 1 : end].decode()
        i = end + 1
        if kind == 0x01:  # double
            fields[key] = struct.unpack("<d", data[i : i + 8])[0]
            i += 8
        elif kind == 0x02:  # string
            (n,) = struct.unpack("<i", data[i : i + 4])
            fields[key] = data[i + 4 : i + 4 + n - 1].decode()
            i += 4 + n
        elif kind in (0x03, 0x04):  # document, array: skip
            (n,) = struct.unpack("<i", data[i : i + 4])
            i += n
        elif kind == 0x08:  # bool
            fields[key] = data[i] == 1
            i += 1
        elif kind == 0x10:  # int32
            fields[key] = struct.unpack("<i", data[i : i + 4])[0]
            i += 4
        elif kind in (0x09, 0x11, 0x12):  # datetime, timestamp, int64
            fields[key] = struct.unpack("<q", data[i : i + 8])[0]
            i += 8
        elif kind == 0x07:  # ObjectId
            i += 12
        elif kind in (0x0A, 0x06, 0xFF, 0x7F):  # null, undefined, min/max key
            fields[key] = None
        else:  # a type isMaster never returns; what we have is enough
            break
    return fields


def probe_mongo(host: str, port: int) -> str:
    # OP_MSG (opcode 2013), flags 0, one body section: {isMaster: 1, $db: "admin"}.
    # isMaster, not hello: every MongoDB since 3.6 still answers it, and it is
    # what drivers send first; mongo-java-server answers only isMaster.
    body = struct.pack("<I", 0) + b"\x00" + _bson_encode({"isMaster": 1, "$db": "admin"})
    request_id = 1
    msg = struct.pack("<iiii", 16 + len(body), request_id, 0, 2013) + body
    with socket.create_connection((host, port), timeout=IO_TIMEOUT_S) as sock:
        sock.settimeout(IO_TIMEOUT_S)
        sock.sendall(msg)
        length, _, response_to, opcode = struct.unpack("<iiii", _recv_exact(sock, 16))
        rest = _recv_exact(sock, length - 16)
    if opcode != 2013 or response_to != request_id:
        raise ConnectionError(f"unexpected reply (opcode {opcode}, responseTo {response_to})")
    if rest[4] != 0:
        raise ConnectionError("reply does not start with a body section")
    reply = _bson_top_level(rest[5:])
    if reply.get("ok") != 1:
        raise ConnectionError(f"isMaster failed: {reply.get('errmsg', reply)}")
    if not (reply.get("isWritablePrimary") or reply.get("ismaster")):
        raise ConnectionError("server is not a writable primary")
    return f"maxWireVersion {reply.get('maxWireVersion')}"


# --- CLI -------------------------------------------------------------------

PROBES = {"kafka": probe_kafka, "mongo": probe_mongo}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie still "exists" for kill(0); it will never answer, so treat it as dead.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("service", choices=sorted(PROBES))
    parser.add_argument("address", help="HOST:PORT")
    parser.add_argument("--wait", type=float, default=0.0, help="keep trying for this many seconds")
    parser.add_argument("--pid", type=int, help="give up early if this process exits")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args()

    host, _, port = args.address.rpartition(":")
    probe = PROBES[args.service]
    deadline = time.monotonic() + args.wait
    last_error = "not tried"
    while True:
        try:
            detail = probe(host, int(port))
        except (OSError, ValueError, struct.error, IndexError) as exc:
            last_error = str(exc) or type(exc).__name__
        else:
            if not args.quiet:
                print(f"{args.service} {args.address}: answers ({detail})")
            return 0
        if args.pid is not None and not _alive(args.pid):
            if not args.quiet:
                print(f"{args.service} {args.address}: process {args.pid} exited", file=sys.stderr)
            return 2
        if time.monotonic() >= deadline:
            break
        time.sleep(0.5)
    if not args.quiet:
        print(f"{args.service} {args.address}: no answer ({last_error})", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
