#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""pcap_check.py: check one QUIC connection in a capture, as Wireshark
decodes and decrypts it, against RFC 9000/9001 and the test's traffic.

    pcap_check.py [--bytes N] PCAP KEYLOG SERVER_PORT

Runs `tshark -T pdml` with the NSS key log and prints one line per check,
"CHECK <name> ok|fail <details>", with "# " lines of detail; the shell
test (tests/tshark_test.sh) turns them into TAP.  Exit status 0 iff every
check passed.

The traffic is tests/interop_peer's: the client PUTs N bytes of the
xorshift32 pattern on stream 0 ("PUT N\\n" + bytes), then GETs N bytes on
stream 4; the decrypted STREAM frames must carry exactly that.
"""
import argparse
import hashlib
import subprocess
import sys
import xml.etree.ElementTree as ET

# Wireshark's expert severities (epan/proto.h)
PI_WARN = 0x00600000
PI_ERROR = 0x00800000

FRAME_NAMES = {
    0x00: 'PADDING', 0x01: 'PING', 0x02: 'ACK', 0x03: 'ACK_ECN',
    0x04: 'RESET_STREAM', 0x05: 'STOP_SENDING', 0x06: 'CRYPTO',
    0x07: 'NEW_TOKEN', 0x10: 'MAX_DATA', 0x11: 'MAX_STREAM_DATA',
    0x12: 'MAX_STREAMS_BIDI', 0x13: 'MAX_STREAMS_UNI', 0x14: 'DATA_BLOCKED',
    0x15: 'STREAM_DATA_BLOCKED', 0x16: 'STREAMS_BLOCKED_BIDI',
    0x17: 'STREAMS_BLOCKED_UNI', 0x18: 'NEW_CONNECTION_ID',
    0x19: 'RETIRE_CONNECTION_ID', 0x1a: 'PATH_CHALLENGE',
    0x1b: 'PATH_RESPONSE', 0x1c: 'CONNECTION_CLOSE',
    0x1d: 'CONNECTION_CLOSE_APP', 0x1e: 'HANDSHAKE_DONE',
}
for _t in range(0x08, 0x10):
    FRAME_NAMES[_t] = 'STREAM'
NOT_ACK_ELICITING = {0x00, 0x02, 0x03, 0x1c, 0x1d}
SPACES = {'0': 'Initial', '1': '0-RTT', '2': 'Handshake', 'short': '1-RTT'}
TLS_NAMES = {1: 'ClientHello', 2: 'ServerHello', 4: 'NewSessionTicket',
             8: 'EncryptedExtensions', 11: 'Certificate',
             13: 'CertificateRequest', 15: 'CertificateVerify',
             20: 'Finished'}

failures = 0


def check(name, ok, details):
    global failures
    if not ok:
        failures += 1
    print(f"CHECK {name} {'ok' if ok else 'fail'} {details}", flush=True)


def diag(msg):
    print(f"# {msg}", flush=True)


def pattern(n):
    """The first n bytes of the xorshift32 stream of tests/interop_peer.c."""
    out = bytearray()
    x = 2463534242
    while len(out) < n:
        x ^= (x << 13) & 0xffffffff
        x ^= x >> 17
        x ^= (x << 5) & 0xffffffff
        out += x.to_bytes(4, 'little')
    return bytes(out[:n])


def fields(elem, name):
    return [f for f in elem.iter('field') if f.get('name') == name]


def first(elem, name, attr='show'):
    for f in elem.iter('field'):
        if f.get('name') == name:
            return f.get(attr)
    return None


def num(s):
    return int(s, 0) if s is not None else None


class Packet:
    """One QUIC packet (a datagram may coalesce several)."""

    def __init__(self, frame_no, sender, proto):
        self.frame_no = frame_no
        self.sender = sender
        form = first(proto, 'quic.header_form')
        self.space = SPACES.get(first(proto, 'quic.long.packet_type')
                                if form == '1' else 'short', '?')
        self.pn = num(first(proto, 'quic.packet_number'))
        self.dcid = first(proto, 'quic.dcid')
        self.scid = first(proto, 'quic.scid')
        self.reserved = [num(f.get('show')) for f in
                         fields(proto, 'quic.long.reserved') +
                         fields(proto, 'quic.short.reserved')]
        self.undecrypted = bool(fields(proto, 'quic.remaining_payload'))
        self.frames = []	# (type, frame element)
        for f in proto.iter('field'):
            if f.get('name') == 'quic.frame':
                self.frames.append((num(first(f, 'quic.frame_type')), f))

    def describe(self):
        names = [FRAME_NAMES.get(t, hex(t) if t is not None else '?')
                 for t, _ in self.frames]
        return (f"frame {self.frame_no} {self.sender} {self.space} "
                f"pn {self.pn}: {' '.join(names) or 'no frames'}")


def parse(pcap, keylog, server_port):
    cmd = ['tshark', '-n', '-r', pcap, '-o', f'tls.keylog_file:{keylog}',
           '-d', f'udp.port=={server_port},quic', '-T', 'pdml']
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    datagrams = []	# (frame_no, sender, udp payload length, [Packet])
    experts = []	# (frame_no, severity, message)
    malformed = []
    tls = {'client': [], 'server': []}
    params = {'client': {}, 'server': {}}
    for _, pkt in ET.iterparse(proc.stdout, events=('end',)):
        if pkt.tag != 'packet':
            continue
        frame_no = num(first(pkt, 'frame.number'))
        when = float(first(pkt, 'frame.time_epoch') or 0)
        sport = num(first(pkt, 'udp.srcport'))
        ulen = num(first(pkt, 'udp.length'))
        sender = 'server' if sport == server_port else 'client'
        packets = []
        for proto in pkt.iter('proto'):
            name = proto.get('name')
            if name == 'quic':
                packets.append(Packet(frame_no, sender, proto))
            elif name == '_ws.malformed':
                malformed.append(frame_no)
        for f in pkt.iter('field'):
            if f.get('name') == '_ws.expert':
                experts.append((frame_no, num(first(f, '_ws.expert.severity')),
                                first(f, '_ws.expert.message')))
            elif f.get('name') == 'tls.handshake.type':
                tls[sender].append(num(f.get('show')))
            elif f.get('name', '').startswith('tls.quic.parameter.') and \
                    f.get('name') not in ('tls.quic.parameter.type',
                                          'tls.quic.parameter.length',
                                          'tls.quic.parameter.value'):
                params[sender][f.get('name')[len('tls.quic.parameter.'):]] = \
                    f.get('show')
        if ulen is not None:
            datagrams.append((when, frame_no, sender, ulen - 8, packets))
        pkt.clear()
    proc.wait()
    # In the order they were sent: the capture file can have packets of
    # different CPUs out of order, their timestamps are right.
    datagrams.sort(key=lambda d: (d[0], d[1]))
    datagrams = [d[1:] for d in datagrams]
    return datagrams, experts, malformed, tls, params


def streams_of(packets):
    """(sender, stream id) -> list of (offset, bytes, fin)."""
    out = {}
    for p in packets:
        for t, f in p.frames:
            if t is None or not 0x08 <= t <= 0x0f:
                continue
            sid = num(first(f, 'quic.stream.stream_id'))
            off = num(first(f, 'quic.stream.offset')) or 0
            data = first(f, 'quic.stream_data', 'value') or ''
            length = num(first(f, 'quic.stream.length'))
            raw = bytes.fromhex(data)
            if length is not None and length != len(raw):
                diag(f"frame {p.frame_no}: STREAM length {length} but "
                     f"{len(raw)} bytes decoded")
            out.setdefault((p.sender, sid), []).append(
                (off, raw, bool(t & 1), p.frame_no))
    return out


def reassemble(pieces):
    """Returns (data or None, final size or None, problem or None)."""
    final = None
    end = 0
    for off, raw, fin, frame_no in pieces:
        if fin:
            if final is not None and final != off + len(raw):
                return None, None, f"frame {frame_no}: final size changed"
            final = off + len(raw)
        end = max(end, off + len(raw))
    if final is None:
        return None, None, "no FIN"
    if end > final:
        return None, final, f"data up to {end}, beyond the final size {final}"
    buf = bytearray(final)
    have = bytearray(final)
    for off, raw, fin, frame_no in pieces:
        for i, b in enumerate(raw):
            if have[off + i] and buf[off + i] != b:
                return None, final, (f"frame {frame_no}: retransmitted byte "
                                     f"{off + i} differs")
        buf[off:off + len(raw)] = raw
        have[off:off + len(raw)] = b'\x01' * len(raw)
    if not all(have):
        return None, final, f"hole at offset {have.index(0)}"
    return bytes(buf), final, None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--bytes', type=int, default=1 << 20)
    ap.add_argument('pcap')
    ap.add_argument('keylog')
    ap.add_argument('server_port', type=int)
    a = ap.parse_args()

    datagrams, experts, malformed, tls, params = parse(a.pcap, a.keylog,
                                                       a.server_port)
    packets = [p for _, _, _, ps in datagrams for p in ps]
    spaces = {}
    for p in packets:
        spaces[(p.sender, p.space)] = spaces.get((p.sender, p.space), 0) + 1
    diag(f"{len(datagrams)} datagrams, {len(packets)} QUIC packets: " +
         ', '.join(f"{s} {sp} {n}" for (s, sp), n in sorted(spaces.items())))
    for p in packets[:14]:
        diag(p.describe())
    if len(packets) > 14:
        diag('...')
        for p in packets[-3:]:
            diag(p.describe())

    check('quic', len(packets) > 0 and
          all(ps for _, _, _, ps in datagrams),
          f"{len(packets)} QUIC packets in {len(datagrams)} datagrams, "
          f"{sum(1 for _, _, _, ps in datagrams if not ps)} not QUIC")

    bad = [p for p in packets if p.undecrypted or not p.frames]
    check('decrypt', packets and not bad and
          {sp for _, sp in spaces} >= {'Initial', 'Handshake', '1-RTT'},
          f"all {len(packets)} packets decrypted: Initial, Handshake and "
          f"1-RTT" if not bad else
          f"{len(bad)} packets not decrypted, first: {bad[0].describe()}"
          if bad else "packet spaces seen: " +
          ' '.join(sorted({sp for _, sp in spaces})))

    want = {'client': [1, 20], 'server': [2, 8, 11, 15, 20]}
    missing = {s: [TLS_NAMES.get(t, t) for t in w if t not in tls[s]]
               for s, w in want.items()}
    check('tls', not missing['client'] and not missing['server'],
          'client: ' + ' '.join(TLS_NAMES.get(t, str(t)) for t in tls['client']) +
          '; server: ' + ' '.join(TLS_NAMES.get(t, str(t)) for t in tls['server']) +
          ('' if not any(missing.values()) else f"; missing {missing}"))

    # RFC 9000 section 7.3: connection IDs authenticated by the parameters
    first_client = next((p for p in packets if p.sender == 'client' and
                         p.space == 'Initial'), None)
    first_server = next((p for p in packets if p.sender == 'server' and
                         p.space == 'Initial'), None)
    problems = []
    if not first_client or not first_server:
        problems.append('no Initial from both sides')
    else:
        cp, sp = params['client'], params['server']
        if cp.get('initial_source_connection_id') != first_client.scid:
            problems.append(f"client initial_source_connection_id "
                            f"{cp.get('initial_source_connection_id')} != "
                            f"its SCID {first_client.scid}")
        if sp.get('initial_source_connection_id') != first_server.scid:
            problems.append(f"server initial_source_connection_id "
                            f"{sp.get('initial_source_connection_id')} != "
                            f"its SCID {first_server.scid}")
        if sp.get('original_destination_connection_id') != first_client.dcid:
            problems.append(f"server original_destination_connection_id "
                            f"{sp.get('original_destination_connection_id')} "
                            f"!= the client's first DCID {first_client.dcid}")
        if 'original_destination_connection_id' in cp:
            problems.append('the client sent original_destination_connection_id')
    check('transport-parameters', not problems,
          '; '.join(problems) if problems else
          f"{len(params['client'])} client and {len(params['server'])} server "
          f"parameters decoded; connection IDs match (RFC 9000 7.3)")
    diag(f"client parameters: {params['client']}")
    diag(f"server parameters: {params['server']}")

    # RFC 9000 section 14.1: Initial datagrams of at least 1200 bytes
    short = []
    for frame_no, sender, plen, ps in datagrams:
        inits = [p for p in ps if p.space == 'Initial']
        if not inits:
            continue
        eliciting = any(t not in NOT_ACK_ELICITING
                        for p in inits for t, _ in p.frames)
        if plen < 1200 and (sender == 'client' or eliciting):
            short.append(f"frame {frame_no} ({sender}, {plen} bytes)")
    check('initial-size', not short,
          'Initial datagrams of the client, and ack-eliciting ones of the '
          'server, carry at least 1200 bytes' if not short else
          'too small: ' + ', '.join(short[:5]))

    # packet numbers never repeat, and grow, per sender and space
    problems = []
    last = {}
    for p in packets:
        k = (p.sender, p.space)
        if p.pn is not None and k in last and p.pn <= last[k]:
            problems.append(f"frame {p.frame_no}: {p.sender} {p.space} "
                            f"pn {p.pn} after {last[k]}")
        if p.pn is not None:
            last[k] = max(p.pn, last.get(k, -1))
    check('packet-numbers', not problems,
          'increasing in every space' if not problems else
          '; '.join(problems[:5]))

    # ACKs acknowledge only packets that were sent
    problems = []
    sent = {}
    acks = 0
    for p in packets:
        for t, f in p.frames:
            if t in (0x02, 0x03):
                acks += 1
                largest = num(first(f, 'quic.ack.largest_acknowledged'))
                peer = 'server' if p.sender == 'client' else 'client'
                top = sent.get((peer, p.space), -1)
                if largest is None or largest > top:
                    problems.append(f"frame {p.frame_no}: {p.sender} "
                                    f"{p.space} ACK of {largest}, peer sent "
                                    f"up to {top}")
        if p.pn is not None:
            k = (p.sender, p.space)
            sent[k] = max(p.pn, sent.get(k, -1))
    check('acks', acks > 0 and not problems,
          f"{acks} ACK frames, none of an unsent packet" if not problems
          else '; '.join(problems[:5]))

    # reserved header bits are zero once decrypted
    bad = [p for p in packets if any(r for r in p.reserved if r)]
    check('reserved-bits', not bad,
          'zero in every packet' if not bad else
          f"{len(bad)} packets, first: {bad[0].describe()}")

    # the frames a full connection has
    seen = {}
    for p in packets:
        for t, _ in p.frames:
            seen.setdefault((p.sender, FRAME_NAMES.get(t, hex(t or 0))), 0)
            seen[(p.sender, FRAME_NAMES.get(t, hex(t or 0)))] += 1
    diag('frames: ' + ', '.join(f"{s} {n} x{c}"
                                for (s, n), c in sorted(seen.items())))
    need = [('client', 'CRYPTO'), ('server', 'CRYPTO'), ('client', 'STREAM'),
            ('server', 'STREAM'), ('client', 'ACK'), ('server', 'ACK'),
            ('server', 'HANDSHAKE_DONE')]
    lacking = [f"{s} {n}" for s, n in need if (s, n) not in seen]
    closes = [(p.sender, FRAME_NAMES[t]) for p in packets for t, _ in p.frames
              if t in (0x1c, 0x1d)]
    if not closes:
        lacking.append('CONNECTION_CLOSE')
    hsd_1rtt = all(p.space == '1-RTT' for p in packets
                   for t, _ in p.frames if t == 0x1e)
    check('frames', not lacking and hsd_1rtt,
          ('CRYPTO, STREAM and ACK both ways, HANDSHAKE_DONE, ' +
           ' '.join(f"{s} {n}" for s, n in closes[:2])) if not lacking and
          hsd_1rtt else f"missing: {' '.join(lacking)}" +
          ('' if hsd_1rtt else '; HANDSHAKE_DONE outside 1-RTT'))

    # the application data, decrypted and reassembled
    streams = streams_of(packets)
    n = a.bytes
    expect = {
        ('client', 0): b'PUT %d\n' % n + pattern(n),
        ('client', 4): b'GET %d\n' % n,
        ('server', 4): pattern(n),
    }
    for (sender, sid), pieces in sorted(streams.items()):
        data, final, problem = reassemble(pieces)
        want = expect.get((sender, sid))
        if sender == 'server' and sid == 0 and data is not None:
            want = (hashlib.sha256(expect[('client', 0)][len(b'PUT %d\n' % n):])
                    .hexdigest() + f" {n}\n").encode()
        name = f"stream-{sender}-{sid}"
        if problem:
            check(name, False, f"{sender} stream {sid}: {problem}")
        elif want is None:
            check(name, False, f"{sender} stream {sid}: unexpected stream")
        else:
            check(name, data == want,
                  f"{sender} stream {sid}: {final} bytes + FIN in "
                  f"{len(pieces)} STREAM frames, " +
                  ('the bytes sent' if data == want else 'wrong bytes'))
    for key in expect:
        if key not in streams:
            check(f"stream-{key[0]}-{key[1]}", False,
                  f"{key[0]} stream {key[1]}: no STREAM frames")
    if ('server', 0) not in streams:
        check('stream-server-0', False, 'server stream 0: no STREAM frames')

    errs = [e for e in experts if e[1] is not None and e[1] >= PI_ERROR]
    warns = [e for e in experts if e[1] is not None and
             PI_WARN <= e[1] < PI_ERROR]
    for frame_no, sev, msg in errs + warns:
        diag(f"expert {'error' if sev >= PI_ERROR else 'warning'} in frame "
             f"{frame_no}: {msg}")
    for frame_no in malformed:
        diag(f"malformed: frame {frame_no}")
    check('malformed', not malformed and not errs,
          f"no malformed packet, no expert error ({len(experts)} expert "
          f"items in all)" if not malformed and not errs else
          f"{len(malformed)} malformed, {len(errs)} expert errors")
    check('expert-warnings', not warns,
          'none' if not warns else f"{len(warns)}: {warns[0][2]}")
    print('# pcap_check: done', flush=True)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
