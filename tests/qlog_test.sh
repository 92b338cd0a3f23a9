#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# qlog_test.sh: tools/quic-qlog on a recorded trace of quic.ko's
# tracepoints (tests/data/quic-trace.txt, in tracefs's text format): each
# connection's file is JSON-SEQ (RFC 7464) with the qlog main schema's
# sequential header and events of the QUIC event definitions, in time
# order, with the fields the trace had (the loss among them).  Runs on the
# host; the guest suite records a live trace (ops_test).  Prints TAP.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp -d /tmp/qlog_test.XXXXXX) || exit 1
trap 'rm -rf "$out"' EXIT

"$top/tools/quic-qlog" -o "$out" "$top/tests/data/quic-trace.txt"
rc=$?
python3 - "$out" "$rc" <<'PY'
import json, os, sys

out, rc = sys.argv[1], int(sys.argv[2])
n = 0
fails = 0

def ok(cond, desc):
    global n, fails
    n += 1
    print("%sok %d - %s" % ("" if cond else "not ", n, desc))
    if not cond:
        fails += 1

NAMES = {"quic:packet_sent", "quic:packet_received", "quic:packet_dropped",
         "quic:packet_lost", "quic:recovery_metrics_updated",
         "quic:connection_state_updated", "quic:key_updated",
         "quic:mtu_updated", "quic:stream_state_updated"}

def records(path):
    raw = open(path, "rb").read()
    assert raw.startswith(b"\x1e"), "no RS before the first record"
    recs = []
    for chunk in raw.split(b"\x1e")[1:]:
        assert chunk.endswith(b"\n"), "a record without its newline"
        recs.append(json.loads(chunk))
    return recs

def check_event(e):
    assert set(e) == {"time", "name", "data"}, "event keys %s" % sorted(e)
    assert isinstance(e["time"], (int, float)) and e["time"] >= 0
    assert e["name"] in NAMES, e["name"]
    d = e["data"]
    assert isinstance(d, dict)
    if e["name"] in ("quic:packet_sent", "quic:packet_received",
                     "quic:packet_lost"):
        h = d["header"]
        assert h["packet_type"] in ("initial", "handshake", "0RTT", "1RTT")
        assert isinstance(h["packet_number"], int) and h["packet_number"] >= 0
    if e["name"] == "quic:recovery_metrics_updated":
        assert d and all(isinstance(v, (int, float)) and v >= 0
                         for v in d.values())

ok(rc == 0, "quic-qlog -o DIR exits 0")
files = sorted(os.listdir(out))
ok(files == ["1.sqlog", "2.sqlog", "3e9.sqlog"],
   "one file per connection cookie (the drop of no socket in none): %s" % files)
for f in files:
    try:
        recs = records(os.path.join(out, f))
        h = recs[0]
        assert h["file_schema"] == "urn:ietf:params:qlog:file:sequential"
        assert h["serialization_format"] == "application/qlog+json-seq"
        assert h["trace"]["common_fields"]["group_id"] == f[:-6]
        assert h["trace"]["vantage_point"]["type"] in ("client", "server",
                                                       "unknown")
        times = []
        for e in recs[1:]:
            check_event(e)
            times.append(e["time"])
        assert times == sorted(times), "events out of time order"
        good, why = True, ""
    except Exception as ex:
        good, why = False, repr(ex)
    ok(good, "%s: RS-framed JSON texts, the sequential header, valid events in time order %s" % (f, why))

recs = records(os.path.join(out, "2.sqlog"))
names = [e["name"] for e in recs[1:]]
ok(recs[0]["trace"]["vantage_point"]["type"] == "client",
   "connection 2 sent first: the client's vantage point")
lost = [e for e in recs[1:] if e["name"] == "quic:packet_lost"]
ok(len(lost) == 1 and lost[0]["data"]["header"]["packet_number"] == 2 and
   lost[0]["data"]["header"]["packet_type"] == "1RTT",
   "the loss of 1-RTT packet 2 is there, once")
ok(names.count("quic:packet_sent") == 5, "five packets sent by connection 2")
m = [e["data"] for e in recs[1:] if e["name"] == "quic:recovery_metrics_updated"]
ok(any(d.get("smoothed_rtt") == 36.829 for d in m) and
   any(d.get("congestion_window") == 98000 and d.get("ssthresh") == 98000
       for d in m) and
   not any("ssthresh" in d and d["ssthresh"] == 4294967295 for d in m),
   "RTT in ms, the window after the loss, no ssthresh before one is set")
ok(["quic:connection_state_updated" for _ in range(3)] ==
   [x for x in names if x == "quic:connection_state_updated"] and
   recs[-1]["data"]["new"] == "closed", "three state changes, ending closed")
ss = [(e["data"]["stream_side"], e["data"]["old"], e["data"]["new"])
      for e in recs[1:] if e["name"] == "quic:stream_state_updated"
      and e["data"]["stream_id"] == 0]
ok(ss == [("sending", "idle", "ready"), ("receiving", "idle", "receive"),
          ("sending", "ready", "send"), ("sending", "send", "data_sent"),
          ("sending", "data_sent", "data_received")],
   "stream 0's states, in RFC 9000's order and the event definitions' names: %s" % ss)
recs3 = records(os.path.join(out, "3e9.sqlog"))
ok(recs3[0]["trace"]["vantage_point"]["type"] == "server" and
   any(e["name"] == "quic:packet_dropped" and
       e["data"]["trigger"] == "duplicate" for e in recs3[1:]),
   "connection 3e9 received first (a server), its duplicate dropped")
print("1..%d" % n)
sys.exit(1 if fails else 0)
PY
