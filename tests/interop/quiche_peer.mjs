// SPDX-License-Identifier: GPL-2.0-or-later
//
// quiche_peer.mjs: an independent QUIC v1 peer for the interop tests,
// quiche 0.18 driven through the native binding of the npm package
// @matrixai/quic (its Config / Connection / Header classes), with UDP from
// node:dgram and the connection's timers from setTimeout.  The package's
// high-level API (QUICServer, QUICClient) is not used: it always sends
// Retry and resets streams that arrive early.
//
//   node quiche_peer.mjs server [options] HOST PORT
//   node quiche_peer.mjs client [options] HOST PORT
//
// Options:
//   --cert FILE --key FILE   server certificate chain and key (PEM)
//   --ca FILE                client: CA to verify the server with
//   --sni NAME               client: server name (default localhost)
//   --alpn PROTO             default "interop"
//   --bytes N                client: size of the upload and download (1 MiB)
//   --conns N                server: exit after N connections ended (1)
//   --timeout SECS           give up after this long (60)
//   --keylog FILE            append the NSS key log here (for tshark)
//   --max-udp-payload N      our max_udp_payload_size transport parameter:
//                            larger datagrams from the peer are counted as
//                            violations (default 1500)
//   --extras                 run the extras below after the PUT and GET;
//                            offer RFC 9221 datagrams
//   --retry                  server: address validation, see below;
//                            client: expect one Retry (step retry)
//   --resume                 client: two connections, the second resumes
//                            the first's session; server: expect that
//                            (step resumed-server), implies --conns 2
//   --early                  with --resume: 0-RTT, see below
//
// The application protocol is the one of tests/interop_peer.c:
//   "PUT <n>\n" + n bytes + FIN  ->  "<sha256 hex> <n>\n" + FIN
//   "GET <n>\n" + FIN            ->  n bytes + FIN
// with the bytes from the same xorshift32 pattern.  The client does a PUT
// on stream 0, then a GET on stream 4, then closes the connection with
// application error 0.
//
// With --extras (both sides), after the PUT and GET (by then the server has
// its 1-RTT keys: a server may drop the 1-RTT packets that come before,
// RFC 9001 section 5.7, and datagrams are not sent again), one after the
// other:
//   dgram   the client sends 20 RFC 9221 datagrams, number i being
//           "DG <i> " and pattern bytes, 10 + 50 * i bytes in all; the
//           server echoes each one as it is; the client checks that all
//           20 come back unchanged within 5 s (steps dgram, dgram-server)
//   reset   the client writes "RESET\n" and 1000 pattern bytes on stream 8,
//           no FIN, then resets it (RESET_STREAM, application error 17);
//           the server, on the reset (quiche: streamRecv() throws
//           StreamReset(17)), answers "reset <code>\n" + FIN on stream 8
//           (steps reset, reset-server)
//   stop    the client writes "STOP\n" on stream 12, no FIN; the server
//           answers with 4 MiB of pattern bytes, more than the client's
//           flow control window; once the client got some of them it sends
//           STOP_SENDING (error 34), and the server's stack gives up the
//           stream with a RESET_STREAM (quiche: streamSend() throws
//           StreamStopped(34)).  Then "STATUS\n" + FIN on stream 16 is
//           answered with "stopped <code>\n" + FIN, or "stopped none\n"
//           (steps stop, stop-server)
// then the client closes the connection as above.
//
// Address validation (server --retry): an Initial of a new connection
// without a token gets a Retry (RFC 9000 section 8.1.2, built by
// quiche.retry()) whose token holds the client's original destination
// connection ID after an HMAC, under a key of this process, of it and the
// client's address and port; an Initial with a valid token gets a
// connection, with the Retry's source connection ID as its own and the
// original one given to Connection.accept() (the transport parameters
// original_destination_connection_id and retry_source_connection_id, which
// the client checks); any other token: the Initial is dropped.  Step
// retry-server for each connection.  The client with --retry counts the
// Retry packets it gets (step retry: exactly one).
//
// Resumption (--resume): the client makes its first connection as usual,
// then waits up to 2 s for a session ticket (Connection.session(), step
// ticket), closes, and makes a second connection from a new UDP socket
// with that session (setSession()): step resumed-2 checks isResumed().
// With --early, as soon as it is in early data (isInEarlyData() after the
// first flight, timed as startClient() says) the second connection writes
// its PUT, which goes out in 0-RTT packets: step early-2 checks that the PUT was written in early
// data, that 0-RTT packets went out and that the answer is right.  The
// server with --early enables early data (Config.enableEarlyData()), reads
// streams while isInEarlyData() too, and checks (step early-server) that
// the second connection's stream 0 was read in early data, from 0-RTT
// packets.  The steps of a client's second connection and of a server's
// second and later connections end with "-<number>" (handshake-2...).
//
// Results go to stdout as "STEP <name> ok|fail <details>" lines (turned
// into TAP by tests/interop_test.sh) and "# " diagnostics; the exit status
// is 0 iff every step passed.

import crypto from 'node:crypto';
import dgram from 'node:dgram';
import fs from 'node:fs';
import process from 'node:process';
// The package's `native` namespace (dist/native/index.js) by itself: the
// high-level API is not needed, and loading it costs seconds under QEMU.
import { quiche, Shutdown } from '@matrixai/quic/native/index.js';

// ------------------------------------------------------------- options

function usage() {
  process.stderr.write(
    'usage: node quiche_peer.mjs server|client [--cert F --key F] [--ca F] ' +
      '[--sni NAME] [--alpn P] [--bytes N] [--conns N] [--timeout S] ' +
      '[--keylog F] [--max-udp-payload N] [--extras] [--retry] [--resume] ' +
      '[--early] HOST PORT\n',
  );
  process.exit(2);
}

const argv = process.argv.slice(2);
const mode = argv.shift();
if (mode !== 'server' && mode !== 'client') usage();
const opt = {
  alpn: 'interop',
  sni: 'localhost',
  bytes: 1 << 20,
  conns: 1,
  timeout: 60,
  maxUdpPayload: 1500,
};
const pos = [];
while (argv.length) {
  const a = argv.shift();
  const val = () => {
    if (!argv.length) usage();
    return argv.shift();
  };
  switch (a) {
    case '--cert': opt.cert = val(); break;
    case '--key': opt.key = val(); break;
    case '--ca': opt.ca = val(); break;
    case '--sni': opt.sni = val(); break;
    case '--alpn': opt.alpn = val(); break;
    case '--bytes': opt.bytes = Number(val()); break;
    case '--conns': opt.conns = Number(val()); break;
    case '--timeout': opt.timeout = Number(val()); break;
    case '--keylog': opt.keylog = val(); break;
    case '--max-udp-payload': opt.maxUdpPayload = Number(val()); break;
    case '--extras': opt.extras = true; break;
    case '--retry': opt.retry = true; break;
    case '--resume': opt.resume = true; break;
    case '--early': opt.early = true; break;
    default:
      if (a.startsWith('--')) usage();
      pos.push(a);
  }
}
if (pos.length !== 2 || (opt.early && !opt.resume)) usage();
if (opt.resume && mode === 'server') opt.conns = Math.max(opt.conns, 2);
const [host, port] = [pos[0], Number(pos[1])];

// ------------------------------------------------------------- results

let failures = 0;
function step(name, ok, details) {
  if (!ok) failures++;
  process.stdout.write(`STEP ${name} ${ok ? 'ok' : 'fail'} ${details}\n`);
}
function diag(msg) {
  process.stdout.write(`# ${msg}\n`);
}
const t0 = performance.now();
const ms = (since) => Math.round(performance.now() - since);

// ------------------------------------------------------------- pattern

// The bytes both sides send: xorshift32 words, little-endian.
class Pattern {
  constructor() {
    this.x = 2463534242;
    this.used = 4;
  }

  fill(buf) {
    for (let i = 0; i < buf.length; i++) {
      if (this.used === 4) {
        let x = this.x;
        x = (x ^ (x << 13)) >>> 0;
        x = (x ^ (x >>> 17)) >>> 0;
        x = (x ^ (x << 5)) >>> 0;
        this.x = x;
        this.used = 0;
      }
      buf[i] = (this.x >>> (8 * this.used++)) & 0xff;
    }
    return buf;
  }
}

const patternBytes = (n) => new Pattern().fill(Buffer.alloc(n));
const sha256 = (buf) => crypto.createHash('sha256').update(buf).digest('hex');

// The extras: datagram i of the client, the error codes, the answer size.
const DGRAMS = 20;
function dgramOf(i) {
  const head = Buffer.from(`DG ${i} `);
  return Buffer.concat([head, patternBytes(10 + 50 * i - head.length)]);
}
const RESET_CODE = 17;
const STOP_CODE = 34;
const STOP_ANSWER = 4 << 20;

// The error code in a message of the binding, e.g. "StreamReset(17)".
function errCode(e, name) {
  const m = new RegExp(`^${name}\\((\\d+)\\)$`).exec(e.message);
  return m ? Number(m[1]) : null;
}

// The types of the packets in datagram @d: its coalesced long header
// packets (RFC 9000 section 17.2), and a short header one after them.
function varint(d, i) {
  if (i >= d.length) return [null, 0];
  const n = 1 << (d[i] >> 6);
  if (i + n > d.length) return [null, 0];
  let v = d[i] & 0x3f;
  for (let k = 1; k < n; k++) v = v * 256 + d[i + k];
  return [v, n];
}

function packetTypes(d) {
  const types = [];
  let off = 0;
  while (off < d.length) {
    const b = d[off];
    if (!(b & 0x80)) {
      types.push('1-RTT');
      break;
    }
    if (off + 7 > d.length) break;
    if (d.readUInt32BE(off + 1) === 0) {
      types.push('VN');
      break;
    }
    const t = (b >> 4) & 3;
    let i = off + 5;
    i += 1 + d[i];	// DCID
    if (i >= d.length) break;
    i += 1 + d[i];	// SCID
    if (t === 3) {
      types.push('Retry');
      break;
    }
    if (t === 0) {	// Initial: the token
      const [tl, n] = varint(d, i);
      if (tl === null) break;
      i += n + tl;
    }
    const [len, n] = varint(d, i);
    if (len === null) break;
    types.push(['Initial', '0-RTT', 'Handshake'][t]);
    off = i + n + len;
  }
  return types;
}

function countTypes(counts, d) {
  for (const t of packetTypes(d)) counts[t] = (counts[t] ?? 0) + 1;
}

const showTypes = (counts) =>
  Object.entries(counts).map(([t, n]) => `${t} ${n}`).join(', ') || 'none';

// ------------------------------------------------------------- quiche

function makeConfig() {
  const c = new quiche.Config();
  if (mode === 'server') {
    c.loadCertChainFromPemFile(opt.cert);
    c.loadPrivKeyFromPemFile(opt.key);
    c.verifyPeer(false);
  } else {
    c.verifyPeer(true);
    if (opt.ca) c.loadVerifyLocationsFromFile(opt.ca);
  }
  if (opt.keylog) c.logKeys();
  c.setApplicationProtos([opt.alpn]);
  c.setMaxIdleTimeout(opt.timeout * 1000);
  c.setMaxRecvUdpPayloadSize(opt.maxUdpPayload);
  c.setMaxSendUdpPayloadSize(1350);
  c.setInitialMaxData(16 << 20);
  c.setInitialMaxStreamDataBidiLocal(4 << 20);
  c.setInitialMaxStreamDataBidiRemote(4 << 20);
  c.setInitialMaxStreamDataUni(1 << 20);
  c.setInitialMaxStreamsBidi(100);
  c.setInitialMaxStreamsUni(100);
  c.setDisableActiveMigration(true);
  if (opt.early) c.enableEarlyData();
  if (opt.extras) {
    c.enableDgram(true, 1000, 1000);
    // the server's 4 MiB answer of the stop test must outgrow what we
    // let it send: no window auto-tuning beyond 256 KiB
    c.setInitialMaxStreamDataBidiLocal(256 << 10);
    c.setMaxStreamWindow(256 << 10);
  }
  return c;
}

const family = host.includes(':') ? 'udp6' : 'udp4';
const sockets = new Set();	// to close at the end
function udpSocket() {
  const s = dgram.createSocket(family);
  sockets.add(s);
  s.on('error', (e) => {
    step('udp', false, e.message);
    finish();
  });
  return s;
}
const sock = udpSocket();	// the server's, the client's first
let local;	// { host, port } of the server's socket once bound

// One connection and what we know about it: @n is its number (the
// server's in accept order), @tag the end of its steps' names.
class Peer {
  constructor(conn, remote, label, n = 1, udp = sock, loc = local) {
    this.conn = conn;
    this.remote = remote;
    this.label = label;
    this.n = n;
    this.tag = n > 1 ? `-${n}` : '';
    this.sock = udp;
    this.local = loc;
    this.rx = {};	// packet type -> count
    this.tx = {};
    this.earlyRead = new Set();	// streams read while in early data
    this.timer = null;
    this.streams = new Map();	// id -> { rx: Buffer[], rxLen, fin, tx, txOff, txFin }
    this.established = false;
    this.maxDatagram = 0;
    this.oversized = 0;
    this.done = false;
    if (opt.keylog) conn.setKeylog(opt.keylog);
  }

  stream(id) {
    let s = this.streams.get(id);
    if (!s) {
      s = { rx: [], rxLen: 0, fin: false, tx: null, txOff: 0, txFin: false };
      this.streams.set(id, s);
    }
    return s;
  }

  // Queue @data (and FIN) for stream @id.
  write(id, data, fin) {
    const s = this.stream(id);
    s.tx = s.tx ? Buffer.concat([s.tx.subarray(s.txOff), data]) : data;
    s.txOff = 0;
    s.txFin = fin;
  }

  recv(msg, rinfo) {
    this.maxDatagram = Math.max(this.maxDatagram, msg.length);
    if (msg.length > opt.maxUdpPayload) this.oversized++;
    countTypes(this.rx, msg);
    try {
      this.conn.recv(msg, {
        to: this.local,
        from: { host: rinfo.address, port: rinfo.port },
      });
    } catch (e) {
      if (e.message !== 'Done') diag(`${this.label}: recv: ${e.message}`);
    }
    this.pump();
  }

  // Read what arrived, write what is queued, send packets, re-arm the timer.
  pump() {
    const conn = this.conn;
    if (mode === 'client' && opt.resume && this.n === 1 && !ticketAt && conn.session())
      ticketAt = Date.now();
    if (!this.established && conn.isEstablished()) {
      this.established = true;
      this.onEstablished();
    }
    // 0-RTT: a server reads, a client writes, before the handshake ends
    const early = !this.established && conn.isInEarlyData();
    if (this.established || early) {
      if (opt.extras && this.established) this.readDatagrams();
      for (const id of conn.readable()) {
        if (early) this.earlyRead.add(id);
        this.readStream(id);
      }
      for (const [id, s] of this.streams) this.flushStream(id, s);
    }
    for (;;) {
      const buf = Buffer.allocUnsafe(1500);
      let r;
      try {
        r = conn.send(buf);
      } catch (e) {
        diag(`${this.label}: send: ${e.message}`);
        break;
      }
      if (r === null) break;
      const [n, info] = r;
      countTypes(this.tx, buf.subarray(0, n));
      this.sock.send(buf, 0, n, info.to.port, info.to.host, (err) => {
        if (err) diag(`${this.label}: udp send: ${err.message}`);
      });
    }
    clearTimeout(this.timer);
    this.timer = null;
    if (conn.isClosed()) {
      if (!this.done) {
        this.done = true;
        this.onClosed();
      }
      return;
    }
    const t = conn.timeout();
    if (t !== null) {
      this.timer = setTimeout(() => {
        this.conn.onTimeout();
        this.pump();
      }, t + 1);
    }
  }

  readStream(id) {
    const s = this.stream(id);
    const buf = Buffer.allocUnsafe(65536);
    for (;;) {
      let r;
      if (s.shut) return;	// shut down for reading (extras)
      try {
        r = this.conn.streamRecv(id, buf);
      } catch (e) {
        if (e.message !== 'Done' && !this.onRecvError(id, e))
          step('stream', false, `stream ${id}: recv: ${e.message}`);
        return;
      }
      if (r === null) return;
      const [n, fin] = r;
      if (n) {
        s.rx.push(Buffer.from(buf.subarray(0, n)));
        s.rxLen += n;
        if (!fin) this.onStreamData(id, s);
      }
      if (fin) {
        // the stream is complete: quiche forgets it after this read
        s.fin = true;
        this.onStreamDone(id, Buffer.concat(s.rx, s.rxLen));
        s.rx = [];
        return;
      }
      if (!n) return;
    }
  }

  flushStream(id, s) {
    while (s.tx && (s.txOff < s.tx.length || s.txFin)) {
      let n;
      try {
        n = this.conn.streamSend(id, s.tx.subarray(s.txOff), s.txFin);
      } catch (e) {
        if (e.message !== 'Done' && !this.onSendError(id, e))
          step('stream', false, `stream ${id}: send: ${e.message}`);
        return;
      }
      if (n === null) return;
      s.txOff += n;
      if (s.txOff === s.tx.length) {
        s.tx = null;	// FIN went with the last byte
        return;
      }
      if (n === 0) return;
    }
  }

  // Hooks of the extras: data of a stream without its FIN yet; an error
  // of streamRecv() or streamSend() other than Done, true if expected.
  onStreamData() {}
  onRecvError() { return false; }
  onSendError() { return false; }

  // The datagrams that arrived, each to onDatagram().
  readDatagrams() {
    const buf = Buffer.allocUnsafe(65536);
    for (;;) {
      let n;
      try {
        n = this.conn.dgramRecv(buf);
      } catch (e) {
        if (e.message !== 'Done') diag(`${this.label}: dgramRecv: ${e.message}`);
        return;
      }
      if (n === null) return;
      this.onDatagram(Buffer.from(buf.subarray(0, n)));
    }
  }

  // Send one datagram; false (and why, in a diagnostic) if quiche refuses.
  sendDatagram(d) {
    try {
      this.conn.dgramSend(d);
      return true;
    } catch (e) {
      diag(`${this.label}: dgramSend of ${d.length} bytes: ${e.message}`);
      return false;
    }
  }

  closeInfo() {
    const fmt = (e) => e == null ? 'none' :
      `${e.isApp ? 'application' : 'transport'} error ${e.errorCode}` +
      (e.reason && e.reason.length ? ` "${Buffer.from(e.reason).toString()}"` : '');
    const st = this.conn.stats();
    diag(`${this.label}: closed: peer error ${fmt(this.conn.peerError())}, ` +
      `local error ${fmt(this.conn.localError())}, timed out ${this.conn.isTimedOut()}`);
    diag(`${this.label}: packets sent ${st.sent} received ${st.recv} lost ${st.lost} ` +
      `retransmitted ${st.retrans}; largest datagram received ${this.maxDatagram} bytes; ` +
      `peer max_udp_payload_size ${st.peerMaxUdpPayloadSize}, ` +
      `initial_max_data ${st.peerInitialMaxData}, ` +
      `max_stream_data_bidi_local ${st.peerInitialMaxStreamDataBidiLocal}, ` +
      `bidi_remote ${st.peerInitialMaxStreamDataBidiRemote}, ` +
      `max_streams_bidi ${st.peerInitialMaxStreamsBidi}, idle ${st.peerMaxIdleTimeout} ms`);
    diag(`${this.label}: packets received: ${showTypes(this.rx)}; sent: ${showTypes(this.tx)}`);
  }

  checkDatagrams() {
    step(`max-udp-payload${this.tag}`, this.oversized === 0,
      this.oversized ? `${this.oversized} datagrams larger than our max_udp_payload_size ` +
        `${opt.maxUdpPayload} (largest ${this.maxDatagram})` :
        `largest datagram ${this.maxDatagram} <= ${opt.maxUdpPayload}`);
  }
}

// ------------------------------------------------------------- server

class ServerConn extends Peer {
  constructor(...args) {
    super(...args);
    this.served = 0;
    this.t0 = performance.now();
    // the extras
    this.dgrams = 0;	// datagrams received
    this.echoed = 0;	// and sent back
    this.resets = [];	// "<stream> <code>" of the streams reset by the peer
    this.stop = null;	// { id, code, taken } once streamSend() was stopped
  }

  onDatagram(d) {
    this.dgrams++;
    if (this.sendDatagram(d)) this.echoed++;
  }

  // A stream's first line before its FIN: STOP is answered right away.
  onStreamData(id, s) {
    if (!opt.extras || s.started) return;
    const data = Buffer.concat(s.rx, s.rxLen);
    const nl = data.indexOf(10);
    if (nl < 0 && data.length < 64) return;
    s.started = true;
    const line = nl < 0 ? '' : data.subarray(0, nl).toString();
    diag(`${this.label}: stream ${id} opened with "${line.slice(0, 40)}"`);
    if (line === 'STOP') this.write(id, patternBytes(STOP_ANSWER), false);
  }

  // A stream reset by the peer (RESET_STREAM) is answered on its other half.
  onRecvError(id, e) {
    const code = errCode(e, 'StreamReset');
    if (!opt.extras || code === null) return false;
    diag(`${this.label}: stream ${id}: streamRecv() threw "${e.message}" ` +
      `after ${this.stream(id).rxLen} bytes`);
    this.resets.push(`${id} ${code}`);
    this.write(id, Buffer.from(`reset ${code}\n`), true);
    return true;
  }

  // STOP_SENDING from the peer: quiche resets the stream, we take note.
  onSendError(id, e) {
    const code = errCode(e, 'StreamStopped');
    if (!opt.extras || code === null) return false;
    const s = this.stream(id);
    diag(`${this.label}: stream ${id}: streamSend() threw "${e.message}" ` +
      `after ${s.txOff} bytes`);
    if (!this.stop) this.stop = { id, code, taken: s.txOff };
    s.tx = null;
    return true;
  }

  // "STATUS": what the stop test did to us
  status(id) {
    // a STOP_SENDING that came with the request shows on a write
    for (const [sid, s] of this.streams) if (sid !== id) this.flushStream(sid, s);
    this.write(id, Buffer.from(`stopped ${this.stop ? this.stop.code : 'none'}\n`), true);
    this.served++;
  }

  extrasSteps() {
    step('dgram-server', this.dgrams === DGRAMS && this.echoed === DGRAMS,
      `${this.dgrams} datagrams received, ${this.echoed} echoed`);
    const r = this.resets;
    step('reset-server', r.length === 1 && r[0] === `8 ${RESET_CODE}`,
      r.length ? `RESET_STREAM seen (stream code): ${r.join(', ')}; answered` :
        'no stream was reset by the peer');
    const st = this.stop;
    step('stop-server', st != null && st.id === 12 && st.code === STOP_CODE,
      st ? `streamSend() on stream ${st.id} stopped with code ${st.code} after ` +
        `${st.taken} of ${STOP_ANSWER} bytes` :
        'no STOP_SENDING: streamSend() was never stopped');
  }

  onEstablished() {
    const alpn = Buffer.from(this.conn.applicationProto()).toString();
    this.resumed = this.conn.isResumed();
    resumedOf[this.n] = this.resumed;
    step(`handshake${this.tag}`, alpn === opt.alpn, `in ${ms(this.t0)} ms, alpn "${alpn}"` +
      `${this.resumed ? ', resumed' : ''}`);
  }

  // --retry, --resume, --early: what this connection did
  sessionSteps() {
    if (opt.retry) {
      step(`retry-server${this.tag}`, this.odcid != null,
        this.odcid != null ? `accepted after a Retry (${retry.sent} sent so far), ` +
          `its token validated; original DCID ${this.odcid}` :
          'accepted without a Retry');
    }
    if (!opt.resume || this.n === 1) return;
    step(`resumed-server${this.tag}`, this.resumed && resumedOf[1] === false,
      `connection ${this.n}: isResumed() ${this.resumed}; connection 1: ${resumedOf[1]}`);
    if (!opt.early) return;
    const pkts = this.rx['0-RTT'] ?? 0;
    const read = [...this.earlyRead];
    step(`early-server${this.tag}`, pkts > 0 && this.earlyRead.has(0),
      `${pkts} 0-RTT packets received; streams read while isInEarlyData(): ` +
        `${read.length ? read.join(' ') : 'none'}`);
  }

  onStreamDone(id, data) {
    const nl = data.indexOf(10);
    const line = nl < 0 ? '' : data.subarray(0, nl).toString();
    if (opt.extras && line === 'STATUS' && data.length === nl + 1) {
      this.status(id);
      return;
    }
    const m = /^(PUT|GET) (\d+)$/.exec(line);
    if (!m) {
      step('serve', false, `stream ${id}: bad request "${line.slice(0, 40)}"`);
      return;
    }
    const want = Number(m[2]);
    const body = data.subarray(nl + 1);
    if (m[1] === 'PUT') {
      if (body.length !== want)
        diag(`${this.label}: stream ${id}: PUT of ${want} bytes brought ${body.length}`);
      this.write(id, Buffer.from(`${sha256(body)} ${body.length}\n`), true);
      diag(`${this.label}: served PUT of ${body.length} bytes on stream ${id}`);
    } else {
      if (body.length) {
        step('serve', false, `stream ${id}: GET with a body`);
        return;
      }
      this.write(id, patternBytes(want), true);
      diag(`${this.label}: served GET of ${want} bytes on stream ${id}`);
    }
    this.served++;
  }

  onClosed() {
    this.closeInfo();
    if (opt.extras) this.extrasSteps();
    this.sessionSteps();
    step(`serve${this.tag}`, this.served >= (opt.extras ? 3 : 2), `${this.served} requests served`);
    const pe = this.conn.peerError();
    step(`peer-close${this.tag}`, pe != null && pe.errorCode === 0,
      pe == null ? (this.conn.isTimedOut() ? 'no CONNECTION_CLOSE: the connection timed out' :
        'no CONNECTION_CLOSE from the peer') :
        `CONNECTION_CLOSE (${pe.isApp ? 'application' : 'transport'}) with error ${pe.errorCode}`);
    this.checkDatagrams();
    for (const [k, v] of conns) if (v === this) conns.delete(k);
    if (++ended >= opt.conns) finish();
  }
}

const conns = new Map();	// dcid hex -> ServerConn
let ended = 0;
let accepted = 0;
const resumedOf = [];	// connection number -> isResumed()

// Address validation (--retry): the tokens of our Retry packets.
const retry = { sent: 0, valid: 0, bad: 0, key: crypto.randomBytes(32) };
const TOKEN_MAGIC = Buffer.from('qpr1');

function tokenMac(rinfo, odcid) {
  return crypto.createHmac('sha256', retry.key)
    .update(`${rinfo.address} ${rinfo.port} `).update(odcid).digest().subarray(0, 16);
}

// The original DCID in a token of ours for this address and port, or null.
function tokenCheck(token, rinfo) {
  if (token.length < TOKEN_MAGIC.length + 16 + 8 ||
      !token.subarray(0, TOKEN_MAGIC.length).equals(TOKEN_MAGIC))
    return null;
  const mac = token.subarray(TOKEN_MAGIC.length, TOKEN_MAGIC.length + 16);
  const odcid = token.subarray(TOKEN_MAGIC.length + 16);
  return crypto.timingSafeEqual(mac, tokenMac(rinfo, odcid)) ? Buffer.from(odcid) : null;
}

function sendRetry(hdr, rinfo) {
  const odcid = Buffer.from(hdr.dcid);
  const scid = crypto.randomBytes(quiche.MAX_CONN_ID_LEN);
  const token = Buffer.concat([TOKEN_MAGIC, tokenMac(rinfo, odcid), odcid]);
  const out = Buffer.alloc(1500);
  let n;
  try {
    n = quiche.retry(hdr.scid, hdr.dcid, scid, token, hdr.version, out);
  } catch (e) {
    diag(`retry(): ${e.message}`);
    return;
  }
  retry.sent++;
  sock.send(out, 0, n, rinfo.port, rinfo.address, (err) => {
    if (err) diag(`udp send of a Retry: ${err.message}`);
  });
  diag(`Retry of ${n} bytes to port ${rinfo.port}: original DCID ${odcid.toString('hex')}, ` +
    `new ${scid.toString('hex')}, token of ${token.length} bytes`);
}

function serverMessage(msg, rinfo) {
  let hdr;
  try {
    hdr = quiche.Header.fromSlice(msg, quiche.MAX_CONN_ID_LEN);
  } catch (e) {
    diag(`unparsable datagram of ${msg.length} bytes from ${rinfo.port}: ${e.message}`);
    return;
  }
  const key = Buffer.from(hdr.dcid).toString('hex');
  let c = conns.get(key);
  if (!c) {
    if (hdr.ty !== quiche.Type.Initial) {
      diag(`datagram for an unknown connection ${key} (type ${hdr.ty}), dropped`);
      return;
    }
    if (!quiche.versionIsSupported(hdr.version)) {
      diag(`Initial with version ${hdr.version.toString(16)}, dropped`);
      return;
    }
    let scid = crypto.randomBytes(quiche.MAX_CONN_ID_LEN);
    let odcid = null;
    if (opt.retry) {
      const token = hdr.token ? Buffer.from(hdr.token) : Buffer.alloc(0);
      if (!token.length) {
        sendRetry(hdr, rinfo);
        return;
      }
      odcid = tokenCheck(token, rinfo);
      if (!odcid || hdr.dcid.length !== quiche.MAX_CONN_ID_LEN) {
        retry.bad++;
        diag(`Initial from port ${rinfo.port} with a token (${token.length} bytes) ` +
          'that is not ours, dropped');
        return;
      }
      retry.valid++;
      scid = Buffer.from(hdr.dcid);	// the one of our Retry
    }
    const remote = { host: rinfo.address, port: rinfo.port };
    const conn = quiche.Connection.accept(scid, odcid, local, remote, config);
    c = new ServerConn(conn, remote, `conn ${accepted + 1} from ${rinfo.port}`, ++accepted);
    if (odcid) c.odcid = odcid.toString('hex');
    conns.set(key, c);
    conns.set(scid.toString('hex'), c);
    diag(`new connection from ${rinfo.address} port ${rinfo.port}, ` +
      `dcid ${key} (${hdr.dcid.length} bytes), scid ${Buffer.from(hdr.scid).toString('hex')}`);
  }
  c.recv(msg, rinfo);
}

// ------------------------------------------------------------- client

class ClientConn extends Peer {
  constructor(...args) {
    super(...args);
    this.t0 = performance.now();
  }

  onEstablished() {
    const alpn = Buffer.from(this.conn.applicationProto()).toString();
    step(`handshake${this.tag}`, alpn === opt.alpn, `in ${ms(this.t0)} ms, alpn "${alpn}"`);
    if (opt.retry) {
      const n = this.rx.Retry ?? 0;
      step(`retry${this.tag}`, n === 1, `${n} Retry packets received before the handshake completed`);
    }
    if (this.n > 1) {
      const r = this.conn.isResumed();
      step(`resumed${this.tag}`, r, `isResumed() ${r}`);
    }
    if (!this.put) this.startPut();
  }

  startPut() {
    this.upload = patternBytes(opt.bytes);
    this.put = performance.now();
    this.t1 = this.put;
    this.write(0, Buffer.concat([Buffer.from(`PUT ${opt.bytes}\n`), this.upload]), true);
  }

  // --early, the second connection, after its first flight: the PUT in
  // 0-RTT if quiche is in early data
  startEarly() {
    this.earlyPut = this.conn.isInEarlyData();
    this.early0 = this.tx['0-RTT'] ?? 0;
    if (!this.earlyPut) {
      diag(`${this.label}: not in early data after the first flight`);
      return;
    }
    this.startPut();
    this.pump();
    diag(`${this.label}: PUT of ${opt.bytes} bytes written in early data; ` +
      `0-RTT packets sent so far: ${(this.tx['0-RTT'] ?? 0) - this.early0}`);
  }

  // --resume, the first connection: the session (a ticket arrived) within
  // 2 s, then close
  waitSession(since = performance.now()) {
    const s = this.conn.session();
    if (s && s.length) {
      session = Buffer.from(s);
      step('ticket', true, `a session of ${session.length} bytes, ${ms(since)} ms after the GET`);
    } else if (performance.now() - since < 2000) {
      setTimeout(() => this.later(() => this.waitSession(since)), 50);
      return;
    } else {
      step('ticket', false, 'no session (no NewSessionTicket) within 2 s of the GET');
    }
    this.conn.close(true, 0, Buffer.from('done'));
  }

  // The extras, one after the other; @f runs outside pump(), then pump().
  later(f) {
    setImmediate(() => {
      if (this.done) return;
      f();
      this.pump();
    });
  }

  startDgram() {
    this.dg = { sent: [], echo: new Map(), bad: [], t: performance.now() };
    for (let i = 0; i < DGRAMS; i++) {
      const d = dgramOf(i);
      this.dg.sent.push(d);
      this.sendDatagram(d);
    }
    this.dg.timer = setTimeout(() => this.later(() => this.endDgram()), 5000);
  }

  onDatagram(d) {
    const dg = this.dg;
    if (!dg || dg.done) {
      diag(`client: a late or unexpected datagram of ${d.length} bytes`);
      return;
    }
    const m = /^DG (\d+) /.exec(d.subarray(0, 8).toString('latin1'));
    const i = m ? Number(m[1]) : -1;
    if (i < 0 || i >= DGRAMS || dg.echo.has(i) || !d.equals(dg.sent[i])) {
      dg.bad.push(`${d.length} bytes "${d.subarray(0, 8).toString('latin1').replace(/[^ -~]/g, '.')}"`);
      return;
    }
    dg.echo.set(i, d.length);
    if (dg.echo.size === DGRAMS) this.later(() => this.endDgram());
  }

  endDgram() {
    const dg = this.dg;
    if (dg.done) return;
    dg.done = true;
    clearTimeout(dg.timer);
    const missing = [];
    for (let i = 0; i < DGRAMS; i++) if (!dg.echo.has(i)) missing.push(i);
    step('dgram', !missing.length && !dg.bad.length,
      `${dg.echo.size} of ${DGRAMS} datagrams of ${dg.sent[0].length} to ` +
      `${dg.sent[DGRAMS - 1].length} bytes echoed intact in ${ms(dg.t)} ms` +
      (missing.length ? `; missing: ${missing.join(' ')}` : '') +
      (dg.bad.length ? `; wrong: ${dg.bad.join(', ')}` : ''));
    this.startReset();
  }

  startReset() {
    this.t1 = performance.now();
    this.write(8, Buffer.concat([Buffer.from('RESET\n'), patternBytes(1000)]), false);
    this.pump();	// the bytes go out before the reset
    const s = this.stream(8);
    const sent = s.tx ? s.txOff : 1006;
    s.tx = null;
    try {
      this.conn.streamShutdown(8, Shutdown.Write, RESET_CODE);
    } catch (e) {
      step('reset', false, `streamShutdown(8, Write, ${RESET_CODE}): ${e.message}`);
      this.later(() => this.startStop());
      return;
    }
    diag(`client: stream 8 reset with code ${RESET_CODE} after quiche took ${sent} bytes`);
  }

  startStop() {
    this.t1 = performance.now();
    this.write(12, Buffer.from('STOP\n'), false);
  }

  // The first bytes of the answer to STOP: stop it, ask for the STATUS.
  onStreamData(id, s) {
    if (!opt.extras || id !== 12 || s.shut) return;
    const got = Buffer.concat(s.rx, s.rxLen);
    this.stopRead = got.length;
    this.stopIntact = got.equals(patternBytes(got.length));
    s.shut = true;
    try {
      this.conn.streamShutdown(12, Shutdown.Read, STOP_CODE);
      diag(`client: stream 12: STOP_SENDING with code ${STOP_CODE} after ${got.length} bytes`);
    } catch (e) {
      this.stopErr = `streamShutdown(12, Read, ${STOP_CODE}): ${e.message}`;
    }
    this.write(16, Buffer.from('STATUS\n'), true);
  }

  onRecvError(id, e) {
    if (!opt.extras || id !== 12) return false;
    diag(`client: stream 12: streamRecv() threw "${e.message}"`);
    return true;
  }

  extrasDone(id, data) {
    const got = data.toString();
    const show = JSON.stringify(got.slice(0, 40));
    if (id === 8) {
      const want = `reset ${RESET_CODE}\n`;
      step('reset', got === want, `the server answered ${show} in ${ms(this.t1)} ms` +
        (got === want ? '' : `, not ${JSON.stringify(want)}`));
      this.later(() => this.startStop());
    } else if (id === 16) {
      const want = `stopped ${STOP_CODE}\n`;
      const ok = got === want && this.stopIntact && !this.stopErr;
      step('stop', ok, this.stopErr ?? `${this.stopRead} bytes of stream 12 read ` +
        `(${this.stopIntact ? 'intact' : 'NOT the pattern'}) before STOP_SENDING; ` +
        `STATUS answered ${show}` + (got === want ? '' : `, not ${JSON.stringify(want)}`) +
        ` in ${ms(this.t1)} ms`);
      this.conn.close(true, 0, Buffer.from('done'));
    } else {
      step('stream', false, `unexpected stream ${id}`);
    }
  }

  onStreamDone(id, data) {
    if (id === 0) {
      const want = `${sha256(this.upload)} ${opt.bytes}\n`;
      const got = data.toString();
      step(`upload${this.tag}`, got === want, got === want ?
        `${opt.bytes} bytes in ${ms(this.t1)} ms, sha256 ${want.slice(0, 64)}` :
        `peer saw "${got.trim().slice(0, 90)}", we sent "${want.trim()}"`);
      if (this.n > 1 && opt.early) {
        const pkts = this.tx['0-RTT'] ?? 0;
        step(`early${this.tag}`, this.earlyPut && pkts > 0 && got === want,
          `PUT ${this.earlyPut ? 'written' : 'NOT written'} in early data (isInEarlyData()); ` +
            `${pkts} 0-RTT packets sent; answer ${got === want ? 'right' : 'WRONG'}`);
      }
      this.t1 = performance.now();
      this.write(4, Buffer.from(`GET ${opt.bytes}\n`), true);
    } else if (id === 4) {
      const exp = patternBytes(opt.bytes);
      let detail;
      if (data.length !== exp.length) {
        detail = `got ${data.length} bytes, asked for ${exp.length}`;
      } else {
        let i = 0;
        while (i < exp.length && data[i] === exp[i]) i++;
        if (i < exp.length) detail = `first wrong byte at offset ${i}`;
      }
      step(`download${this.tag}`, !detail, detail ??
        `${data.length} bytes in ${ms(this.t1)} ms, sha256 ${sha256(data)}`);
      if (opt.extras)
        this.later(() => this.startDgram());
      else if (opt.resume && this.n === 1)
        this.waitSession();
      else
        this.conn.close(true, 0, Buffer.from('done'));
    } else if (opt.extras) {
      this.extrasDone(id, data);
    } else {
      step('stream', false, `unexpected stream ${id}`);
    }
  }

  onClosed() {
    this.closeInfo();
    const pe = this.conn.peerError();
    const le = this.conn.localError();
    step(`close${this.tag}`, pe == null && le != null && le.isApp && le.errorCode === 0,
      `local error ${le ? le.errorCode : 'none'}, peer error ${pe ? pe.errorCode : 'none'}`);
    this.checkDatagrams();
    if (opt.resume && this.n === 1 && session)
      startClient(2);
    else
      finish();
  }
}

// ------------------------------------------------------------- main

let config;
try {
  config = makeConfig();
} catch (e) {
  step('config', false, e.message);
  process.exit(1);
}

function finish() {
  for (const s of sockets) s.close();
  process.exit(failures ? 1 : 0);
}

setTimeout(() => {
  step('timeout', false, `gave up after ${opt.timeout} s`);
  for (const c of new Set(conns.values())) c.closeInfo();
  if (client) client.closeInfo();
  finish();
}, opt.timeout * 1000).unref();

let client = null;
let session = null;	// --resume: the first connection's
let ticketAt = 0;	// when it came (Date.now())

const loopback = host.includes(':') ? '::1' : '127.0.0.1';

// The client's connection @n (2: resuming the session) from the UDP
// socket @udp, bound already; nothing sent yet.
function clientConnect(n, udp) {
  try {
    udp.setRecvBufferSize(4 << 20);	// capped by net.core.rmem_max
    udp.setSendBufferSize(4 << 20);
  } catch (e) {
    diag(`socket buffers: ${e.message}`);
  }
  const a = udp.address();
  const loc = { host: a.address, port: a.port };
  const remote = { host, port };
  const scid = crypto.randomBytes(quiche.MAX_CONN_ID_LEN);
  let conn;
  try {
    conn = quiche.Connection.connect(opt.sni, scid, loc, remote, config);
    if (n > 1) conn.setSession(session);
  } catch (e) {
    step(`handshake${n > 1 ? `-${n}` : ''}`, false, `connect: ${e.message}`);
    finish();
  }
  diag(`connection ${n} from port ${loc.port}`);
  client = new ClientConn(conn, remote, n > 1 ? `client-${n}` : 'client', n, udp, loc);
  udp.on('message', (msg, rinfo) => client.recv(msg, rinfo));
  return client;
}

// --resume: the second connection, from a new socket.  With --early, its
// first flight (the ClientHello) goes when the ticket age BoringSSL puts
// in it is not above the real one: BoringSSL tells the whole seconds
// between the ticket's arrival and now (times 1000), and GnuTLS 3.7's
// anti-replay (our server's) rejects the early data of a client that
// tells a larger age than the server measures ("replay detected"), which
// would be about half the time.  It is not when the ClientHello goes in
// the ticket's second, or at least as many milliseconds past a second as
// the ticket came (and not so close to the next second that it slips
// into it): at most a second's wait, ending with a few ms of busy waiting.
function startClient(n) {
  const udp = udpSocket();
  udp.bind({ address: loopback, port: 0 }, () => {
    const c = clientConnect(n, udp);
    if (!opt.early) {
      c.pump();
      return;
    }
    const first = ticketAt % 1000 + 1;	// ms past a second
    const okAt = (t) => t % 1000 < 998 &&
      (Math.floor(t / 1000) === Math.floor(ticketAt / 1000) || t % 1000 >= first);
    const next = (t) => Math.floor(t / 1000) * 1000 + (t % 1000 < first ? first : 1000 + first);
    const t0 = Date.now();
    let at = okAt(t0) || first >= 998 ? t0 : next(t0);
    const go = () => {
      let t = Date.now();
      while (!okAt(t) && t < at) t = Date.now();
      if (!okAt(t) && first < 998) {
        at = next(t);
        setTimeout(go, Math.max(0, at - Date.now() - 20));
        return;
      }
      diag(`client-${n}: its ClientHello ${t - ticketAt} ms after the ticket came ` +
        `(${ticketAt % 1000} ms past a second), waited ${t - t0} ms; the ticket age ` +
        `BoringSSL tells (whole seconds): ` +
        `${1000 * (Math.floor(t / 1000) - Math.floor(ticketAt / 1000))} ms`);
      c.pump();
      c.startEarly();
    };
    setTimeout(go, Math.max(0, at - t0 - 20));
  });
}

sock.bind({ address: mode === 'server' ? host : loopback,
  port: mode === 'server' ? port : 0 }, () => {
  if (mode === 'client') {
    clientConnect(1, sock).pump();
    return;
  }
  try {
    sock.setRecvBufferSize(4 << 20);	// capped by net.core.rmem_max
    sock.setSendBufferSize(4 << 20);
  } catch (e) {
    diag(`socket buffers: ${e.message}`);
  }
  const a = sock.address();
  local = { host: a.address, port: a.port };
  sock.on('message', serverMessage);
  step('listen', true, `on ${a.address} port ${a.port}`);
});
