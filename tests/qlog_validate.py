#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""qlog_validate: check qlog JSON-SEQ files against tests/data/qlog.schema.json.

usage: qlog_validate.py FILE...

Each FILE must be RFC 7464 records (an RS byte, a JSON text, a newline)
whose first record is the qlog main schema's sequential file header
(#/$defs/QlogFileSeq) and every later one an event (#/$defs/Event) of the
QUIC event definitions, as tools/quic-qlog writes them.  For each valid
FILE one line goes to standard output: the number of its quic:packet_lost
events and of its quic:stream_state_updated events ("LOST STREAMS", what
tests/ops_test.c reads).  The errors of an invalid FILE go to standard
error.  Exit status: 0 when every FILE is valid, 1 when one is not, 2
when python3's jsonschema module (Debian: python3-jsonschema) is missing.

tests/qlog_test.sh imports it: records(), Validator, counts().
"""

import json
import os
import sys

try:
    import jsonschema
except ImportError:
    jsonschema = None

SCHEMA = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                      "data", "qlog.schema.json")
MISSING = ("qlog_validate: python3's jsonschema module is missing"
           " (Debian: apt-get install python3-jsonschema; tests/deps.sh"
           " installs it)")


class QlogError(Exception):
    """a file that is no JSON-SEQ qlog"""


def records(path):
    """the JSON texts of the RFC 7464 records of @path"""
    with open(path, "rb") as f:
        raw = f.read()
    if not raw.startswith(b"\x1e"):
        raise QlogError("%s: no RS before the first record" % path)
    recs = []
    for i, chunk in enumerate(raw.split(b"\x1e")[1:]):
        if not chunk.endswith(b"\n"):
            raise QlogError("%s: record %d: no newline at its end" % (path, i))
        try:
            recs.append(json.loads(chunk))
        except ValueError as e:
            raise QlogError("%s: record %d: %s" % (path, i, e)) from e
    if not recs:
        raise QlogError("%s: no record" % path)
    return recs


class Validator:
    """the schema's header and event definitions, each a validator"""

    def __init__(self, schema_path=SCHEMA):
        if jsonschema is None:
            raise QlogError(MISSING)
        with open(schema_path) as f:
            schema = json.load(f)
        cls = jsonschema.validators.validator_for(schema)
        cls.check_schema(schema)

        def part(name):
            return cls({"$schema": schema["$schema"],
                        "$defs": schema["$defs"],
                        "$ref": "#/$defs/" + name})
        self.header = part("QlogFileSeq")
        self.event = part("Event")

    def record_errors(self, rec, first):
        """["where: what"] of one record, the file's @first or an event"""
        v = self.header if first else self.event
        return ["%s: %s" % ("/".join(str(p) for p in e.absolute_path) or ".",
                            e.message)
                for e in sorted(v.iter_errors(rec),
                                key=lambda e: list(map(str, e.path)))]

    def errors(self, recs):
        """["record N: where: what"] of @recs, a file's records"""
        return ["record %d: %s" % (i, e) for i, rec in enumerate(recs)
                for e in self.record_errors(rec, i == 0)]


def counts(recs):
    """(quic:packet_lost events, quic:stream_state_updated events)"""
    names = [r.get("name") for r in recs[1:]]
    return (names.count("quic:packet_lost"),
            names.count("quic:stream_state_updated"))


def main(argv):
    if len(argv) < 2 or argv[1].startswith("-"):
        sys.stderr.write(__doc__.split("\n\n")[1] + "\n")
        return 2
    try:
        v = Validator()
    except QlogError as e:
        sys.stderr.write("%s\n" % e)
        return 2
    rc = 0
    for path in argv[1:]:
        try:
            recs = records(path)
        except (OSError, QlogError) as e:
            sys.stderr.write("qlog_validate: %s\n" % e)
            rc = 1
            continue
        errs = v.errors(recs)
        for e in errs[:20]:
            sys.stderr.write("qlog_validate: %s: %s\n" % (path, e))
        if len(errs) > 20:
            sys.stderr.write("qlog_validate: %s: %d more errors\n"
                             % (path, len(errs) - 20))
        if errs:
            rc = 1
            continue
        print("%d %d" % counts(recs))
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv))
