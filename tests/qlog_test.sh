#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# qlog_test.sh: tools/quic-qlog on a recorded trace of quic.ko's
# tracepoints (tests/data/quic-trace.txt, in tracefs's text format): each
# connection's file is JSON-SEQ (RFC 7464) whose every record validates
# against tests/data/qlog.schema.json (the qlog main schema's sequential
# header and the QUIC event definitions, transcribed from the drafts'
# CDDL) with tests/qlog_validate.py, the validator ops_test also runs on
# its live trace; the events are in time order, with the fields the trace
# had (the loss among them).  Records the schema must reject prove that
# it can fail.  Without python3's jsonschema module (python3-jsonschema,
# tests/deps.sh, for Debian's /usr/bin/python3) the test fails.  Runs
# on the host.  Prints TAP.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp -d /tmp/qlog_test.XXXXXX) || exit 1
trap 'rm -rf "$out"' EXIT

"$top/tools/quic-qlog" -o "$out" "$top/tests/data/quic-trace.txt"
rc=$?
/usr/bin/python3 - "$top" "$out" "$rc" <<'PY'
import copy, json, os, subprocess, sys

top, out, rc = sys.argv[1], sys.argv[2], int(sys.argv[3])
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(top, "tests"))
import qlog_validate as qv

VALIDATE = os.path.join(top, "tests", "qlog_validate.py")
n = 0
fails = 0


def ok(cond, desc, diag=()):
    global n, fails
    n += 1
    print("%sok %d - %s" % ("" if cond else "not ", n, desc))
    if not cond:
        fails += 1
        for d in diag:
            print("# %s" % d)


ok(qv.jsonschema is not None,
   "python3's jsonschema module is there (python3-jsonschema)",
   [qv.MISSING])
if qv.jsonschema is None:
    sys.stderr.write(qv.MISSING + "\n")
try:
    v, why = qv.Validator(), []
except Exception as ex:
    v, why = None, [repr(ex)]
ok(v is not None, "tests/data/qlog.schema.json: a valid JSON Schema", why)

ok(rc == 0, "quic-qlog -o DIR exits 0")
files = sorted(os.listdir(out))
ok(files == ["1.sqlog", "2.sqlog", "3e9.sqlog"],
   "one file per connection cookie (the drop of no socket in none): %s" % files)
for f in files:
    try:
        recs = qv.records(os.path.join(out, f))
        errs = v.errors(recs) if v else ["no validator"]
        times = [e["time"] for e in recs[1:]]
        if times != sorted(times):
            errs.append("events out of time order")
        if recs[0]["trace"]["common_fields"]["group_id"] != f[:-6]:
            errs.append("group_id is not the cookie")
    except Exception as ex:
        recs, errs = [], [repr(ex)]
    ok(not errs and len(recs) > 1,
       "%s: RS-framed JSON texts, each valid against the schema (the header;"
       " events: %d), in time order" % (f, len(recs) - 1), errs[:10])

recs = qv.records(os.path.join(out, "2.sqlog"))
names = [e["name"] for e in recs[1:]]
ok(recs[0]["trace"]["vantage_point"]["type"] == "client",
   "connection 2 sent first: the client's vantage point")
ok(recs[1]["time"] == 9627.563 and
   recs[0]["trace"]["common_fields"]["reference_time"] ==
   {"clock_type": "monotonic", "epoch": "unknown"},
   "times in ms on the trace's clock, a monotonic one of unknown epoch")
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
ok([e["data"] for e in recs[1:] if e["name"] == "quic:mtu_updated"] ==
   [{"new": 65527}], "the path's MTU as mtu_updated's new")
ss = [(e["data"]["stream_side"], e["data"]["old"], e["data"]["new"])
      for e in recs[1:] if e["name"] == "quic:stream_state_updated"
      and e["data"]["stream_id"] == 0]
ok(ss == [("sending", "idle", "ready"), ("receiving", "idle", "receive"),
          ("sending", "ready", "send"), ("sending", "send", "data_sent"),
          ("sending", "data_sent", "data_received")],
   "stream 0's states, in RFC 9000's order and the event definitions' names: %s" % ss)
recs3 = qv.records(os.path.join(out, "3e9.sqlog"))
ok(recs3[0]["trace"]["vantage_point"]["type"] == "server" and
   any(e["name"] == "quic:packet_dropped" and
       e["data"]["trigger"] == "duplicate" for e in recs3[1:]),
   "connection 3e9 received first (a server), its duplicate dropped")
mig = [(e["data"]["new"], e["data"].get("path_remote"))
       for e in recs3[1:] if e["name"] == "quic:migration_state_updated"]
a = {"ip_v4": "127.0.0.2", "port_v4": 40000}
b = {"ip_v4": "127.0.0.3", "port_v4": 5555}
ok(mig == [("migration_started", a), ("migration_complete", a),
           ("migration_started", b), ("migration_abandoned", b),
           ("migration_complete", a)],
   "quic_path as migration_state_updated: moved, validated, moved, failed,"
   " back, with the client's addresses: %s" % mig)

# the schema can fail: each record below, a valid one of 2.sqlog changed
# in one place, must be rejected; extension points must take extra members
header = recs[0]
first = {e["name"]: e for e in reversed(recs[1:])}


def changed(rec, path, value):
    """@rec with @path (keys) set to @value, or removed if value is None"""
    r = copy.deepcopy(rec)
    d = r
    for k in path[:-1]:
        d = d[k]
    if value is None:
        del d[path[-1]]
    else:
        d[path[-1]] = value
    return r


def verdict(rec, is_header):
    return v.record_errors(rec, is_header) if v else ["no validator"]


def rejected(desc, rec, is_header=False):
    errs = verdict(rec, is_header)
    ok(bool(errs) and v is not None, "rejected: %s (%s)" %
       (desc, errs[0] if errs else "accepted"))


def accepted(desc, rec, is_header=False):
    errs = verdict(rec, is_header)
    ok(not errs, "accepted: %s" % desc, errs)


H, S = True, first["quic:packet_sent"]
rejected("a header's file_schema the contained one",
         changed(header, ["file_schema"], "urn:ietf:params:qlog:file:contained"), H)
rejected("a header without event_schemas", changed(header, ["event_schemas"], None), H)
rejected("a header's serialization_format application/qlog+json",
         changed(header, ["serialization_format"], "application/qlog+json"), H)
rejected("an older draft's qlog_version in a header",
         changed(header, ["qlog_version"], "0.3"), H)
rejected("an older draft's time_format relative",
         changed(header, ["trace", "common_fields", "time_format"], "relative"), H)
rejected("an older draft's reference_time, a number",
         changed(header, ["trace", "common_fields", "reference_time"], 9627.563), H)
rejected("a vantage point of type peer",
         changed(header, ["trace", "vantage_point", "type"], "peer"), H)
rejected("a vantage point without its type",
         changed(header, ["trace", "vantage_point", "type"], None), H)
rejected("an event as a file's header", S, H)
rejected("a header as an event", header)
rejected("an event without time", changed(S, ["time"], None))
rejected("an event's time a string", changed(S, ["time"], "9685.533"))
rejected("an event without data", changed(S, ["data"], None))
rejected("an unknown event name quic:packet_acked",
         changed(S, ["name"], "quic:packet_acked"))
rejected("an older draft's name transport:packet_sent",
         changed(S, ["name"], "transport:packet_sent"))
rejected("packet_type 1rtt (the draft's is 1RTT)",
         changed(S, ["data", "header", "packet_type"], "1rtt"))
rejected("a packet_sent without its header", changed(S, ["data", "header"], None))
rejected("packet_number -1", changed(S, ["data", "header", "packet_number"], -1))
rejected("packet_number 2^64", changed(S, ["data", "header", "packet_number"], 2 ** 64))
rejected("an unknown member of PacketHeader (no extension point)",
         changed(S, ["data", "header", "pn"], 1))
rejected("an unknown member of RawInfo (no extension point)",
         changed(S, ["data", "raw", "len"], 1))
rejected("raw.payload_length a string",
         changed(S, ["data", "raw", "payload_length"], "1200"))
rejected("a packet_lost trigger time_threshold_or_reordering",
         changed(first["quic:packet_lost"], ["data", "trigger"],
                 "time_threshold_or_reordering"))
rejected("a packet_dropped trigger no_socket",
         changed([e for e in recs3 if e.get("name") == "quic:packet_dropped"][0],
                 ["data", "trigger"], "no_socket"))
rejected("a recovery metric's congestion_window a string",
         changed(first["quic:recovery_metrics_updated"],
                 ["data", "congestion_window"], "14720"))
rejected("a connection state established",
         changed(first["quic:connection_state_updated"], ["data", "new"],
                 "established"))
rejected("a connection_state_updated without new",
         changed(first["quic:connection_state_updated"], ["data", "new"], None))
rejected("a key_type 1rtt", changed(first["quic:key_updated"],
                                    ["data", "key_type"], "1rtt"))
rejected("an mtu_updated of mtu, without new",
         {"time": 1.0, "name": "quic:mtu_updated", "data": {"mtu": 1200}})
rejected("an mtu of 65536", changed(first["quic:mtu_updated"],
                                    ["data", "new"], 65536))
rejected("a stream state recv (the draft's is receive)",
         changed(first["quic:stream_state_updated"], ["data", "new"], "recv"))
rejected("a stream_side send",
         changed(first["quic:stream_state_updated"], ["data", "stream_side"],
                 "send"))
M = [e for e in recs3 if e.get("name") == "quic:migration_state_updated"][0]
rejected("a migration state migrated (the draft's is migration_started)",
         changed(M, ["data", "new"], "migrated"))
rejected("a path_remote port_v4 of 65536",
         changed(M, ["data", "path_remote", "port_v4"], 65536))
rejected("an unknown member of PathEndpointInfo (no extension point)",
         changed(M, ["data", "path_remote", "port"], 40000))
accepted("an extra member of packet_sent's data (its $$ extension point)",
         changed(S, ["data", "x_cpu"], 1))
accepted("an extra member of an event (* text => any)",
         changed(S, ["x_cpu"], 1))
accepted("an extra common field (* text => any)",
         changed(header, ["trace", "common_fields", "x_host"], "h"), H)

# the command ops_test runs
p = subprocess.run([sys.executable, VALIDATE, os.path.join(out, "2.sqlog")],
                   capture_output=True, text=True)
ok(p.returncode == 0 and p.stdout == "1 5\n",
   "qlog_validate.py on 2.sqlog: valid, 1 lost packet, 5 stream states: %r"
   % p.stdout, [p.stderr])
bad = os.path.join(out, "bad.sqlog")
with open(bad, "w") as fb:
    for i, r in enumerate(recs):
        if i == 2:
            r = changed(r, ["data", "header", "packet_type"], "1rtt")
        fb.write("\x1e" + json.dumps(r) + "\n")
p = subprocess.run([sys.executable, VALIDATE, bad], capture_output=True,
                   text=True)
ok(p.returncode == 1 and p.stdout == "" and "record 2:" in p.stderr and
   "packet_type" in p.stderr,
   "qlog_validate.py on a file with a bad packet_type: exit 1, the record"
   " named", [p.stderr])
with open(bad, "w") as fb:
    fb.write("".join(json.dumps(r) + "\n" for r in recs))
p = subprocess.run([sys.executable, VALIDATE, bad], capture_output=True,
                   text=True)
ok(p.returncode == 1 and p.stdout == "",
   "qlog_validate.py on JSON lines without RS: exit 1", [p.stderr])
p = subprocess.run([sys.executable, "-c",
                    "import runpy, sys; sys.modules['jsonschema'] = None;"
                    " sys.argv = sys.argv[1:];"
                    " runpy.run_path(sys.argv[0], run_name='__main__')",
                    VALIDATE, os.path.join(out, "2.sqlog")],
                   capture_output=True, text=True)
ok(p.returncode == 2 and p.stdout == "" and "jsonschema" in p.stderr,
   "qlog_validate.py without the jsonschema module: exit 2, says so",
   [p.stderr])
print("1..%d" % n)
sys.exit(1 if fails else 0)
PY
