// SPDX-License-Identifier: GPL-2.0-or-later
//
// quinn_peer: an independent QUIC v1 peer for tests/interop_quinn.sh, on
// quinn 0.9 (rustls 0.20, tokio) as packaged by Debian 12.  One program, a
// server or a client:
//
//   quinn_peer server [options] HOST PORT
//   quinn_peer client [options] HOST PORT
//
// Options:
//   --cert FILE --key FILE   server: certificate chain and key (PEM)
//   --ca FILE                client: the CA to verify the server with (PEM)
//   --sni NAME               client: server name (default localhost)
//   --alpn PROTO             default "interop"
//   --bytes N                client: size of the PUT and the GET (16384)
//   --conns N                server: exit after N connections ended (1)
//   --timeout SECS           give up after this long (30)
//   --retry                  server: address validation, quinn's
//                            ServerConfig::use_retry(true): every Initial
//                            without a token gets a Retry.  Both sides
//                            report the Retry packets they see (step retry,
//                            retry-server); without --retry they check
//                            that there was none
//   --resume                 client: two connections, each from a new UDP
//                            socket; the second resumes the first's TLS
//                            session (rustls' session cache)
//   --early                  client, with --resume: the second connection
//                            sends its PUT in 0-RTT (quinn's into_0rtt())
//                            and checks that the server accepted it (step
//                            early-2); server: accept early data
//                            (max_early_data_size), and check that every
//                            connection after the first got a request in
//                            0-RTT (step early-server)
// SSLKEYLOGFILE, when set, names a file for the NSS key log (rustls).
//
// The application protocol is the one of tests/interop_peer.c (and of
// tests/interop/quiche_peer.mjs), one request per client-initiated
// bidirectional stream:
//   "PUT <n>\n" + n bytes + FIN  ->  "<sha256 of the n bytes, hex> <n>\n" + FIN
//   "GET <n>\n" + FIN            ->  n bytes + FIN
// The bytes always come from the same pattern: xorshift32 from 2463534242,
// each word little-endian (Pattern below), so each side checks what it got
// without trusting the other.  The client does a PUT on stream 0 (its first
// bidirectional stream), then a GET on stream 4, then closes the connection
// with application error 0.  The server answers every request, and checks
// the PUT's bytes against the pattern too.
//
// What the peers saw on the wire: the UDP socket under quinn is wrapped
// (Watched, an AsyncUdpSocket around tokio's) to read the unprotected long
// headers of every datagram sent and received, coalesced packets included:
// per peer address, the Retry packets and their tokens, the tokens of the
// Initial packets, and the 0-RTT packets.  So the client's step retry says
// "one Retry received, and the Initial that followed carried its token",
// the server's step retry-server "one Retry sent, and an Initial came back
// with that very token" (quinn accepts no other: its tokens are
// authenticated), and the early steps count 0-RTT packets.
//
// Progress goes to stdout as lines "STEP <name> ok|fail <details>" (the
// steps of a second connection end with "-2"), the format
// tests/interop/lib.sh reads; the server prints "STEP listen ok" once it is
// listening.  The exit status is 0 iff every step passed.

use std::collections::HashMap;
use std::fmt;
use std::fs::File;
use std::io::{self, BufReader, IoSliceMut};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use quinn::{AsyncUdpSocket, Endpoint, EndpointConfig, Runtime, TokioRuntime, VarInt};
use quinn_udp::{RecvMeta, UdpState};

static FAILURES: AtomicUsize = AtomicUsize::new(0);

// step NAME (with the connection's suffix), passed or not, and details
fn step(name: &str, tag: &str, ok: bool, details: &str) {
    if !ok {
        FAILURES.fetch_add(1, Ordering::SeqCst);
    }
    println!(
        "STEP {}{} {} {}",
        name,
        tag,
        if ok { "ok" } else { "fail" },
        details
    );
}

fn conn_tag(n: usize) -> String {
    if n > 1 {
        format!("-{}", n)
    } else {
        String::new()
    }
}

// ------------------------------------------------------------ pattern

struct Pattern {
    x: u32,
    word: [u8; 4],
    used: usize,
}

impl Pattern {
    fn new() -> Self {
        Pattern {
            x: 2463534242,
            word: [0; 4],
            used: 4,
        }
    }

    fn fill(&mut self, buf: &mut [u8]) {
        for b in buf.iter_mut() {
            if self.used == 4 {
                self.x ^= self.x << 13;
                self.x ^= self.x >> 17;
                self.x ^= self.x << 5;
                self.word = self.x.to_le_bytes();
                self.used = 0;
            }
            *b = self.word[self.used];
            self.used += 1;
        }
    }

    fn bytes(n: usize) -> Vec<u8> {
        let mut v = vec![0u8; n];
        Pattern::new().fill(&mut v);
        v
    }
}

fn sha256_hex(data: &[u8]) -> String {
    let d = ring::digest::digest(&ring::digest::SHA256, data);
    d.as_ref().iter().map(|b| format!("{:02x}", b)).collect()
}

// ----------------------------------------------- what the socket saw

// Per peer address: the long header packets seen (Initial, 0-RTT, Retry).
#[derive(Default, Debug, Clone)]
struct PeerSeen {
    retry_tx: Vec<Vec<u8>>, // the tokens of the Retry packets sent
    retry_rx: Vec<Vec<u8>>, // and received
    initial_tx: usize,
    initial_rx: usize,
    initial_tokens_tx: Vec<Vec<u8>>, // the non-empty tokens of Initials
    initial_tokens_rx: Vec<Vec<u8>>,
    zero_rtt_tx: usize,
    zero_rtt_rx: usize,
}

type Seen = Arc<Mutex<HashMap<SocketAddr, PeerSeen>>>;

// IPv4-mapped IPv6 addresses as IPv4: one key per peer
fn addr_key(a: SocketAddr) -> SocketAddr {
    if let IpAddr::V6(v6) = a.ip() {
        if let Some(v4) = v6.to_ipv4_mapped() {
            return SocketAddr::new(IpAddr::V4(v4), a.port());
        }
    }
    a
}

fn seen_for(seen: &Seen, a: SocketAddr) -> PeerSeen {
    seen.lock()
        .unwrap()
        .get(&addr_key(a))
        .cloned()
        .unwrap_or_default()
}

// A QUIC variable-length integer: its value and its length
fn varint(b: &[u8]) -> Option<(u64, usize)> {
    let first = *b.first()?;
    let len = 1usize << (first >> 6);
    if b.len() < len {
        return None;
    }
    let mut v = (first & 0x3f) as u64;
    for x in &b[1..len] {
        v = (v << 8) | *x as u64;
    }
    Some((v, len))
}

// One QUIC v1 long header packet at the start of @p: its type (0 Initial,
// 1 0-RTT, 2 Handshake, 3 Retry), its token (Initial, Retry) and what
// follows it in the datagram.  None for anything else (short header,
// version negotiation, garbage).
fn long_packet(p: &[u8]) -> Option<(u8, Vec<u8>, &[u8])> {
    if p.len() < 7 || p[0] & 0x80 == 0 {
        return None;
    }
    if u32::from_be_bytes([p[1], p[2], p[3], p[4]]) != 1 {
        return None;
    }
    let typ = (p[0] >> 4) & 3;
    let mut i = 5;
    i += 1 + *p.get(i)? as usize; // destination connection ID
    i += 1 + *p.get(i)? as usize; // source connection ID
    if i > p.len() {
        return None;
    }
    if typ == 3 {
        // Retry: the token, then the 16-byte integrity tag
        if p.len() < i + 16 {
            return None;
        }
        return Some((3, p[i..p.len() - 16].to_vec(), &[]));
    }
    let mut token = Vec::new();
    if typ == 0 {
        let (tl, n) = varint(&p[i..])?;
        i += n;
        let end = i.checked_add(tl as usize)?;
        token = p.get(i..end)?.to_vec();
        i = end;
    }
    let (len, n) = varint(p.get(i..)?)?;
    i += n;
    let end = i.checked_add(len as usize)?;
    if end > p.len() {
        return None;
    }
    Some((typ, token, &p[end..]))
}

// Record the packets of the datagrams in @data (@stride bytes each, GSO or
// GRO) sent to or received from @addr.
fn note(seen: &Seen, addr: SocketAddr, data: &[u8], stride: usize, sent: bool) {
    let stride = if stride == 0 { data.len().max(1) } else { stride };
    let mut map = seen.lock().unwrap();
    let s = map.entry(addr_key(addr)).or_default();
    for dgram in data.chunks(stride) {
        let mut p = dgram;
        while let Some((typ, token, rest)) = long_packet(p) {
            match (typ, sent) {
                (0, true) => {
                    s.initial_tx += 1;
                    if !token.is_empty() {
                        s.initial_tokens_tx.push(token);
                    }
                }
                (0, false) => {
                    s.initial_rx += 1;
                    if !token.is_empty() {
                        s.initial_tokens_rx.push(token);
                    }
                }
                (1, true) => s.zero_rtt_tx += 1,
                (1, false) => s.zero_rtt_rx += 1,
                (3, true) => s.retry_tx.push(token),
                (3, false) => s.retry_rx.push(token),
                _ => {}
            }
            p = rest;
        }
    }
}

// tokio's UDP socket for quinn, with every datagram noted in @seen
struct Watched {
    inner: Box<dyn AsyncUdpSocket>,
    seen: Seen,
}

impl fmt::Debug for Watched {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Watched").field("inner", &self.inner).finish()
    }
}

impl AsyncUdpSocket for Watched {
    fn poll_send(
        &mut self,
        state: &UdpState,
        cx: &mut Context,
        transmits: &[quinn::Transmit],
    ) -> Poll<io::Result<usize>> {
        let r = self.inner.poll_send(state, cx, transmits);
        if let Poll::Ready(Ok(n)) = &r {
            for t in &transmits[..*n] {
                let stride = t.segment_size.unwrap_or(t.contents.len());
                note(&self.seen, t.destination, &t.contents, stride, true);
            }
        }
        r
    }

    fn poll_recv(
        &self,
        cx: &mut Context,
        bufs: &mut [IoSliceMut<'_>],
        meta: &mut [RecvMeta],
    ) -> Poll<io::Result<usize>> {
        let r = self.inner.poll_recv(cx, bufs, meta);
        if let Poll::Ready(Ok(n)) = &r {
            for (m, b) in meta[..*n].iter().zip(bufs.iter()) {
                note(&self.seen, m.addr, &b[..m.len], m.stride, false);
            }
        }
        r
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }
}

fn endpoint(
    bind: SocketAddr,
    server: Option<quinn::ServerConfig>,
    seen: &Seen,
) -> io::Result<Endpoint> {
    let inner = TokioRuntime.wrap_udp_socket(std::net::UdpSocket::bind(bind)?)?;
    let sock = Watched {
        inner,
        seen: seen.clone(),
    };
    Endpoint::new_with_abstract_socket(EndpointConfig::default(), server, sock, TokioRuntime)
}

// "a Retry (token N bytes) ..." for the details of the retry steps
fn tokens_text(tokens: &[Vec<u8>]) -> String {
    let lens: Vec<String> = tokens.iter().map(|t| t.len().to_string()).collect();
    format!("{} (token bytes: [{}])", tokens.len(), lens.join(", "))
}

// ----------------------------------------------------------- options

struct Opts {
    client: bool,
    host: String,
    port: u16,
    cert: Option<String>,
    key: Option<String>,
    ca: Option<String>,
    sni: String,
    alpn: String,
    bytes: usize,
    conns: usize,
    timeout: u64,
    retry: bool,
    resume: bool,
    early: bool,
}

fn usage() -> ! {
    eprintln!(
        "usage: quinn_peer server [--cert FILE --key FILE] [--alpn P] [--conns N] [--retry] [--early] [--timeout S] HOST PORT\n       quinn_peer client [--ca FILE] [--sni NAME] [--alpn P] [--bytes N] [--retry] [--resume [--early]] [--timeout S] HOST PORT"
    );
    std::process::exit(2);
}

fn parse_args() -> Opts {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 2 {
        usage();
    }
    let client = match args[1].as_str() {
        "client" => true,
        "server" => false,
        _ => usage(),
    };
    let mut o = Opts {
        client,
        host: String::new(),
        port: 0,
        cert: None,
        key: None,
        ca: None,
        sni: "localhost".into(),
        alpn: "interop".into(),
        bytes: 16384,
        conns: 1,
        timeout: 30,
        retry: false,
        resume: false,
        early: false,
    };
    let mut pos = Vec::new();
    let mut i = 2;
    while i < args.len() {
        let a = args[i].as_str();
        let mut val = || -> String {
            i += 1;
            args.get(i).cloned().unwrap_or_else(|| usage())
        };
        match a {
            "--cert" => o.cert = Some(val()),
            "--key" => o.key = Some(val()),
            "--ca" => o.ca = Some(val()),
            "--sni" => o.sni = val(),
            "--alpn" => o.alpn = val(),
            "--bytes" => o.bytes = val().parse().unwrap_or_else(|_| usage()),
            "--conns" => o.conns = val().parse().unwrap_or_else(|_| usage()),
            "--timeout" => o.timeout = val().parse().unwrap_or_else(|_| usage()),
            "--retry" => o.retry = true,
            "--resume" => o.resume = true,
            "--early" => o.early = true,
            _ if a.starts_with("--") => usage(),
            _ => pos.push(a.to_string()),
        }
        i += 1;
    }
    if pos.len() != 2 || o.conns < 1 || (client && o.early && !o.resume) {
        usage();
    }
    o.host = pos[0].clone();
    o.port = pos[1].parse().unwrap_or_else(|_| usage());
    o
}

fn resolve(host: &str, port: u16) -> io::Result<SocketAddr> {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    (host, port)
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| io::Error::new(io::ErrorKind::Other, "no address"))
}

fn err<E: fmt::Display>(what: &str) -> impl FnOnce(E) -> String + '_ {
    move |e| format!("{}: {}", what, e)
}

// ------------------------------------------------------------- TLS

fn load_certs(path: &str) -> Result<Vec<rustls::Certificate>, String> {
    let f = File::open(path).map_err(err(path))?;
    let certs = rustls_pemfile::certs(&mut BufReader::new(f)).map_err(err(path))?;
    if certs.is_empty() {
        return Err(format!("{}: no certificate", path));
    }
    Ok(certs.into_iter().map(rustls::Certificate).collect())
}

fn load_key(path: &str) -> Result<rustls::PrivateKey, String> {
    let f = File::open(path).map_err(err(path))?;
    let mut r = BufReader::new(f);
    loop {
        match rustls_pemfile::read_one(&mut r).map_err(err(path))? {
            Some(rustls_pemfile::Item::ECKey(k)) => {
                return Ok(rustls::PrivateKey(sec1_p256_fixed(&k).unwrap_or(k)))
            }
            Some(rustls_pemfile::Item::PKCS8Key(k)) | Some(rustls_pemfile::Item::RSAKey(k)) => {
                return Ok(rustls::PrivateKey(k))
            }
            Some(_) => continue,
            None => return Err(format!("{}: no private key", path)),
        }
    }
}

// One DER TLV at the start of @b: (tag, contents, the whole TLV's length)
fn der_tlv(b: &[u8]) -> Option<(u8, &[u8], usize)> {
    let tag = *b.first()?;
    let l0 = *b.get(1)? as usize;
    let (len, hl) = if l0 < 0x80 {
        (l0, 2)
    } else {
        let k = l0 & 0x7f;
        if k == 0 || k > 2 {
            return None;
        }
        let mut len = 0usize;
        for x in b.get(2..2 + k)? {
            len = (len << 8) | *x as usize;
        }
        (len, 2 + k)
    };
    Some((tag, b.get(hl..hl + len)?, hl + len))
}

fn der_push(out: &mut Vec<u8>, tag: u8, contents: &[u8]) {
    out.push(tag);
    let n = contents.len();
    if n < 0x80 {
        out.push(n as u8);
    } else if n < 0x100 {
        out.extend_from_slice(&[0x81, n as u8]);
    } else {
        out.extend_from_slice(&[0x82, (n >> 8) as u8, n as u8]);
    }
    out.extend_from_slice(contents);
}

// A SEC1 ECPrivateKey (RFC 5915) of P-256 as ring 0.16 takes it: GnuTLS's
// certtool writes the private key as a 33-byte INTEGER-like OCTET STRING
// (a leading zero) and includes the curve's parameters; ring wants exactly
// 32 bytes.  None when @der is not such a key (then used as it is).
fn sec1_p256_fixed(der: &[u8]) -> Option<Vec<u8>> {
    let (tag, seq, _) = der_tlv(der)?;
    if tag != 0x30 {
        return None;
    }
    let (t, ver, n1) = der_tlv(seq)?;
    if t != 0x02 || ver != [1] {
        return None;
    }
    let (t, d, n2) = der_tlv(&seq[n1..])?;
    if t != 0x04 {
        return None;
    }
    let mut d = d;
    while d.len() > 32 && d[0] == 0 {
        d = &d[1..];
    }
    if d.len() > 32 {
        return None;
    }
    let mut key = vec![0u8; 32 - d.len()];
    key.extend_from_slice(d);
    let mut rest = &seq[n1 + n2..];
    let mut public = None;
    while !rest.is_empty() {
        let (t, _, n) = der_tlv(rest)?;
        if t == 0xa1 {
            public = Some(&rest[..n]);
        }
        rest = &rest[n..];
    }
    let mut inner = vec![0x02, 0x01, 0x01];
    der_push(&mut inner, 0x04, &key);
    inner.extend_from_slice(public?);
    let mut out = Vec::new();
    der_push(&mut out, 0x30, &inner);
    Some(out)
}

// The client's session cache (rustls' own), counting the session tickets
// stored, so that the client knows it has one before it closes.
struct Tickets {
    cache: Arc<rustls::client::ClientSessionMemoryCache>,
    stored: AtomicUsize,
    last: Mutex<Option<SystemTime>>, // when the last one came
}

impl rustls::client::StoresClientSessions for Tickets {
    fn put(&self, key: Vec<u8>, value: Vec<u8>) -> bool {
        // rustls' keys: b"session" or b"kx-hint", then the server name
        if key.starts_with(b"session") {
            self.stored.fetch_add(1, Ordering::SeqCst);
            *self.last.lock().unwrap() = Some(SystemTime::now());
        }
        self.cache.put(key, value)
    }

    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        self.cache.get(key)
    }
}

fn client_tls(o: &Opts, tickets: Arc<Tickets>) -> Result<rustls::ClientConfig, String> {
    let mut roots = rustls::RootCertStore::empty();
    let ca = o.ca.as_deref().ok_or("--ca missing")?;
    for c in load_certs(ca)? {
        roots.add(&c).map_err(err(ca))?;
    }
    let mut cfg = rustls::ClientConfig::builder()
        .with_safe_default_cipher_suites()
        .with_safe_default_kx_groups()
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(err("rustls"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    cfg.alpn_protocols = vec![o.alpn.as_bytes().to_vec()];
    cfg.enable_early_data = o.early;
    cfg.session_storage = tickets;
    cfg.key_log = Arc::new(rustls::KeyLogFile::new());
    Ok(cfg)
}

fn server_tls(o: &Opts) -> Result<rustls::ServerConfig, String> {
    let certs = load_certs(o.cert.as_deref().ok_or("--cert missing")?)?;
    let key = load_key(o.key.as_deref().ok_or("--key missing")?)?;
    let mut cfg = rustls::ServerConfig::builder()
        .with_safe_default_cipher_suites()
        .with_safe_default_kx_groups()
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(err("rustls"))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(err("certificate"))?;
    cfg.alpn_protocols = vec![o.alpn.as_bytes().to_vec()];
    // quinn wants 0 or u32::MAX; tickets stay stateful (rustls' default
    // session cache): rustls takes no early data with stateless ones
    cfg.max_early_data_size = if o.early { u32::MAX } else { 0 };
    cfg.key_log = Arc::new(rustls::KeyLogFile::new());
    Ok(cfg)
}

fn alpn_of(hd: Option<Box<dyn std::any::Any>>) -> String {
    hd.and_then(|h| h.downcast::<quinn::crypto::rustls::HandshakeData>().ok())
        .and_then(|h| h.protocol)
        .map(|p| String::from_utf8_lossy(&p).into_owned())
        .unwrap_or_default()
}

// ------------------------------------------------------------ client

async fn put(conn: &quinn::Connection, bytes: usize) -> Result<String, String> {
    let t0 = Instant::now();
    let (mut send, recv) = conn.open_bi().await.map_err(err("open_bi"))?;
    let body = Pattern::bytes(bytes);
    let want = format!("{} {}\n", sha256_hex(&body), bytes);
    send.write_all(format!("PUT {}\n", bytes).as_bytes())
        .await
        .map_err(err("sending the request"))?;
    send.write_all(&body).await.map_err(err("sending the bytes"))?;
    send.finish().await.map_err(err("finish"))?;
    let resp = recv.read_to_end(256).await.map_err(err("reading the answer"))?;
    if resp != want.as_bytes() {
        return Err(format!(
            "stream {}: the server saw {:?}, we sent {:?}",
            VarInt::from(send.id()).into_inner(),
            String::from_utf8_lossy(&resp),
            want
        ));
    }
    Ok(format!(
        "{} bytes on stream {} in {} ms, sha256 {}",
        bytes,
        VarInt::from(send.id()).into_inner(),
        t0.elapsed().as_millis(),
        &want[..64]
    ))
}

async fn get(conn: &quinn::Connection, bytes: usize) -> Result<String, String> {
    let t0 = Instant::now();
    let (mut send, recv) = conn.open_bi().await.map_err(err("open_bi"))?;
    send.write_all(format!("GET {}\n", bytes).as_bytes())
        .await
        .map_err(err("sending the request"))?;
    send.finish().await.map_err(err("finish"))?;
    let got = recv
        .read_to_end(bytes + 1)
        .await
        .map_err(err("reading the answer"))?;
    if got.len() != bytes {
        return Err(format!("got {} bytes, asked for {}", got.len(), bytes));
    }
    let want = Pattern::bytes(bytes);
    if let Some(i) = (0..bytes).find(|&i| got[i] != want[i]) {
        return Err(format!("first wrong byte at offset {}", i));
    }
    Ok(format!(
        "{} bytes on stream {} in {} ms, sha256 {}",
        bytes,
        VarInt::from(send.id()).into_inner(),
        t0.elapsed().as_millis(),
        sha256_hex(&got)
    ))
}

fn stats_text(conn: &quinn::Connection) -> String {
    let st = conn.stats();
    format!(
        "datagrams {} sent, {} received; rtt {:?}; {} packets lost",
        st.udp_tx.datagrams, st.udp_rx.datagrams, st.path.rtt, st.path.lost_packets
    )
}

fn report(name: &str, tag: &str, r: &Result<String, String>) -> bool {
    match r {
        Ok(s) => step(name, tag, true, s),
        Err(s) => step(name, tag, false, s),
    }
    r.is_ok()
}

// The retry step of a client connection to @server, from what its socket saw.
fn client_retry_step(o: &Opts, tag: &str, seen: &Seen, server: SocketAddr) {
    let s = seen_for(seen, server);
    let mut why = Vec::new();
    if o.retry {
        if s.retry_rx.len() != 1 {
            why.push("not exactly one Retry".to_string());
        } else if !s.initial_tokens_tx.contains(&s.retry_rx[0]) {
            why.push("no Initial sent with the Retry's token".to_string());
        }
    } else if !s.retry_rx.is_empty() {
        why.push("a Retry where none was expected".to_string());
    }
    step(
        "retry",
        tag,
        why.is_empty(),
        &format!(
            "{}Retry packets received: {}; Initials sent: {}, with a token: {}",
            if why.is_empty() {
                String::new()
            } else {
                format!("{}; ", why.join(", "))
            },
            tokens_text(&s.retry_rx),
            s.initial_tx,
            tokens_text(&s.initial_tokens_tx)
        ),
    );
}

// rustls 0.20 tells the server the ticket's age in whole seconds: the
// difference of the two times' seconds (obfuscated_ticket_age()), which can
// be up to 1 s more than the real age, and GnuTLS's anti-replay then takes
// the ticket for one from the future and refuses the early data.  So the
// ClientHello waits (at most 1 s) until the real age is at least the one
// told, plus 20 ms of margin, as quiche_peer.mjs does for BoringSSL.
async fn ticket_age_wait(tickets: &Tickets) {
    let got = match *tickets.last.lock().unwrap() {
        Some(t) => t,
        None => return,
    };
    let secs = |t: SystemTime| t.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let t0 = Instant::now();
    loop {
        let now = SystemTime::now();
        let told = Duration::from_secs(secs(now).saturating_sub(secs(got)));
        let real = now.duration_since(got).unwrap_or_default();
        if real >= told + Duration::from_millis(20) || t0.elapsed() > Duration::from_millis(1500) {
            println!(
                "# client: ClientHello with a ticket {} ms old, told {} ms (waited {} ms)",
                real.as_millis(),
                told.as_millis(),
                t0.elapsed().as_millis()
            );
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn client_conn(
    o: &Opts,
    n: usize,
    server: SocketAddr,
    tls: &Arc<rustls::ClientConfig>,
    tickets: &Tickets,
) -> Result<(), String> {
    let tag = conn_tag(n);
    let seen = Seen::default();
    let bind = if server.is_ipv4() {
        SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0)
    } else {
        SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), 0)
    };
    let ep = endpoint(bind, None, &seen).map_err(err("endpoint"))?;
    println!(
        "# client: connection {} from port {}",
        n,
        ep.local_addr().map(|a| a.port()).unwrap_or(0)
    );
    if n > 1 && o.early {
        ticket_age_wait(tickets).await;
    }
    let t0 = Instant::now();
    let connecting = ep
        .connect_with(quinn::ClientConfig::new(tls.clone()), server, &o.sni)
        .map_err(err("connect"))?;
    let early = n > 1 && o.early;
    let (conn, accepted) = if early {
        match connecting.into_0rtt() {
            Ok((c, acc)) => (c, Some(acc)),
            Err(connecting) => {
                step(
                    "early",
                    &tag,
                    false,
                    "into_0rtt(): no session ticket allowing early data",
                );
                (connecting.await.map_err(err("handshake"))?, None)
            }
        }
    } else {
        match connecting.await {
            Ok(c) => (c, None),
            Err(e) => {
                client_retry_step(o, &tag, &seen, server);
                return Err(format!("handshake: {}", e));
            }
        }
    };

    let put_r;
    if let Some(acc) = accepted {
        // the PUT goes now, in 0-RTT packets, while the handshake runs
        let c = conn.clone();
        let bytes = o.bytes;
        let put_task = tokio::spawn(async move { put(&c, bytes).await });
        let ok = acc.await;
        let hs_ms = t0.elapsed().as_millis();
        let s = seen_for(&seen, server);
        step(
            "handshake",
            &tag,
            alpn_of(conn.handshake_data()) == o.alpn,
            &format!(
                "in {} ms, alpn \"{}\"",
                hs_ms,
                alpn_of(conn.handshake_data())
            ),
        );
        step(
            "early",
            &tag,
            ok && s.zero_rtt_tx > 0,
            &format!(
                "the server {} early data; 0-RTT packets sent: {}",
                if ok { "accepted" } else { "rejected" },
                s.zero_rtt_tx
            ),
        );
        if ok {
            put_r = put_task
                .await
                .unwrap_or_else(|e| Err(format!("the PUT's task: {}", e)));
        } else {
            // quinn forgets what went in 0-RTT: the PUT again, in 1-RTT
            put_task.abort();
            println!("# client: early data rejected: the PUT again, after the handshake");
            put_r = put(&conn, o.bytes).await;
        }
    } else {
        step(
            "handshake",
            &tag,
            alpn_of(conn.handshake_data()) == o.alpn,
            &format!(
                "in {} ms, alpn \"{}\"",
                t0.elapsed().as_millis(),
                alpn_of(conn.handshake_data())
            ),
        );
        put_r = put(&conn, o.bytes).await;
    }
    client_retry_step(o, &tag, &seen, server);
    let up = report("upload", &tag, &put_r);
    if up {
        let r = get(&conn, o.bytes).await;
        report("download", &tag, &r);
    } else {
        step("download", &tag, false, "not run: the upload failed");
    }

    if o.resume && n == 1 {
        // the server's ticket (NewSessionTicket) may come a little later
        let t = Instant::now();
        while tickets.stored.load(Ordering::SeqCst) == 0 && t.elapsed() < Duration::from_secs(2) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let k = tickets.stored.load(Ordering::SeqCst);
        step(
            "ticket",
            &tag,
            k > 0,
            &format!("{} session tickets stored after {} ms", k, t.elapsed().as_millis()),
        );
    }

    let before = conn.close_reason();
    step(
        "close",
        &tag,
        before.is_none(),
        &match &before {
            None => "closing with application error 0; the server had not closed".to_string(),
            Some(e) => format!("the connection had already ended: {}", e),
        },
    );
    conn.close(VarInt::from_u32(0), b"done");
    let _ = tokio::time::timeout(Duration::from_secs(3), ep.wait_idle()).await;
    let s = seen_for(&seen, server);
    println!(
        "# client: connection {}: {} Initials, {} 0-RTT packets sent; {} Retry, {} Initials received; {}",
        n,
        s.initial_tx,
        s.zero_rtt_tx,
        s.retry_rx.len(),
        s.initial_rx,
        stats_text(&conn)
    );
    Ok(())
}

async fn client(o: Opts) {
    let server = match resolve(&o.host, o.port) {
        Ok(a) => a,
        Err(e) => return step("handshake", "", false, &format!("{}: {}", o.host, e)),
    };
    let tickets = Arc::new(Tickets {
        cache: rustls::client::ClientSessionMemoryCache::new(32),
        stored: AtomicUsize::new(0),
        last: Mutex::new(None),
    });
    let tls = match client_tls(&o, tickets.clone()) {
        Ok(c) => Arc::new(c),
        Err(e) => return step("handshake", "", false, &e),
    };
    let conns = if o.resume { 2 } else { 1 };
    for n in 1..=conns {
        if let Err(e) = client_conn(&o, n, server, &tls, &tickets).await {
            step("handshake", &conn_tag(n), false, &e);
            return;
        }
    }
}

// ------------------------------------------------------------ server

// Serve one request stream; Ok(what was done)
async fn serve_stream(
    mut send: quinn::SendStream,
    recv: quinn::RecvStream,
) -> Result<(String, bool), String> {
    let id = VarInt::from(send.id()).into_inner();
    let zero_rtt = recv.is_0rtt();
    let req = recv
        .read_to_end(64 << 20)
        .await
        .map_err(err(&format!("stream {}: reading", id)))?;
    let nl = req
        .iter()
        .position(|&b| b == b'\n')
        .ok_or_else(|| format!("stream {}: no request line in {} bytes", id, req.len()))?;
    let line = String::from_utf8_lossy(&req[..nl]).into_owned();
    let body = &req[nl + 1..];
    let mut words = line.split(' ');
    let (verb, n) = match (words.next(), words.next().and_then(|w| w.parse::<usize>().ok())) {
        (Some(v), Some(n)) => (v.to_string(), n),
        _ => return Err(format!("stream {}: bad request {:?}", id, line)),
    };
    let what;
    match verb.as_str() {
        "PUT" => {
            if body.len() != n {
                return Err(format!("stream {}: PUT {} with {} bytes", id, n, body.len()));
            }
            if body != &Pattern::bytes(n)[..] {
                return Err(format!("stream {}: PUT of {} bytes, not the pattern", id, n));
            }
            let ans = format!("{} {}\n", sha256_hex(body), n);
            send.write_all(ans.as_bytes())
                .await
                .map_err(err(&format!("stream {}: answering", id)))?;
            what = format!("PUT of {} bytes (the pattern) on stream {}", n, id);
        }
        "GET" if body.is_empty() => {
            send.write_all(&Pattern::bytes(n))
                .await
                .map_err(err(&format!("stream {}: answering", id)))?;
            what = format!("GET of {} bytes on stream {}", n, id);
        }
        _ => return Err(format!("stream {}: bad request {:?}", id, line)),
    }
    // the client may close once it has it all, before it acknowledges
    match send.finish().await {
        Ok(()) | Err(quinn::WriteError::ConnectionLost(_)) => {}
        Err(e) => return Err(format!("stream {}: finish: {}", id, e)),
    }
    Ok((
        format!("{}{}", what, if zero_rtt { " (opened in 0-RTT)" } else { "" }),
        zero_rtt,
    ))
}

async fn server_conn(o: &Opts, n: usize, connecting: quinn::Connecting, seen: &Seen) {
    let tag = conn_tag(n);
    let remote = connecting.remote_address();
    let t0 = Instant::now();
    // with --early, a 0.5-RTT connection: the streams opened in 0-RTT are
    // taken (and answered) before the handshake completes
    let (conn, accepted) = if o.early {
        match connecting.into_0rtt() {
            Ok((c, acc)) => (Ok(c), Some(acc)),
            Err(c) => (c.await, None),
        }
    } else {
        (connecting.await, None)
    };
    let conn = match conn {
        Ok(c) => c,
        Err(e) => {
            step(
                "handshake-server",
                &tag,
                false,
                &format!("from {}: {}", remote, e),
            );
            return;
        }
    };
    let c2 = conn.clone();
    let streams = tokio::spawn(async move {
        let mut tasks = Vec::new();
        let end = loop {
            match c2.accept_bi().await {
                Ok((send, recv)) => tasks.push(tokio::spawn(serve_stream(send, recv))),
                Err(e) => break e,
            }
        };
        let mut results = Vec::new();
        for t in tasks {
            results.push(t.await.unwrap_or_else(|e| Err(format!("task: {}", e))));
        }
        (results, end)
    });
    if let Some(acc) = accepted {
        acc.await; // the handshake's end
    }
    let hd = conn.handshake_data();
    let alpn = alpn_of(conn.handshake_data());
    step(
        "handshake-server",
        &tag,
        hd.is_some() && alpn == o.alpn,
        &format!(
            "from {} in {} ms, alpn \"{}\"{}",
            remote,
            t0.elapsed().as_millis(),
            alpn,
            match conn.close_reason() {
                Some(e) if hd.is_none() => format!(": {}", e),
                _ => String::new(),
            }
        ),
    );
    let s = seen_for(seen, remote);
    let ok = if o.retry {
        s.retry_tx.len() == 1 && s.initial_tokens_rx.contains(&s.retry_tx[0])
    } else {
        s.retry_tx.is_empty()
    };
    step(
        "retry-server",
        &tag,
        ok,
        &format!(
            "to {}: Retry packets sent: {}; Initials received: {}, with a token: {}",
            remote,
            tokens_text(&s.retry_tx),
            s.initial_rx,
            tokens_text(&s.initial_tokens_rx)
        ),
    );

    let (results, end) = match streams.await {
        Ok(r) => r,
        Err(e) => {
            step("serve", &tag, false, &format!("task: {}", e));
            return;
        }
    };
    let mut served = Vec::new();
    let mut errors = Vec::new();
    let mut in_0rtt = 0;
    for r in results {
        match r {
            Ok((what, z)) => {
                served.push(what);
                if z {
                    in_0rtt += 1;
                }
            }
            Err(e) => errors.push(e),
        }
    }
    step(
        "serve",
        &tag,
        errors.is_empty() && !served.is_empty(),
        &format!(
            "{} requests served: {}{}",
            served.len(),
            served.join("; "),
            if errors.is_empty() {
                String::new()
            } else {
                format!("; errors: {}", errors.join("; "))
            }
        ),
    );
    if o.early && n > 1 {
        // quinn hands out a stream opened in 0-RTT only if it could read
        // it, with the 0-RTT keys rustls gives when it accepts early data
        // (ZeroRttAccepted means nothing on a server)
        let s = seen_for(seen, remote);
        step(
            "early-server",
            &tag,
            in_0rtt > 0 && s.zero_rtt_rx > 0,
            &format!(
                "{} requests on streams opened in 0-RTT, answered; 0-RTT packets received: {}",
                in_0rtt, s.zero_rtt_rx
            ),
        );
    }
    let clean = match &end {
        quinn::ConnectionError::ApplicationClosed(c) => c.error_code == VarInt::from_u32(0),
        quinn::ConnectionError::ConnectionClosed(c) => {
            u64::from(c.error_code) == 0
        }
        _ => false,
    };
    step("peer-close", &tag, clean, &format!("{}", end));
    let s = seen_for(seen, remote);
    println!(
        "# server: connection {} from {}: {} Initials, {} 0-RTT packets received; {} Retry, {} Initials sent; {}",
        n,
        remote,
        s.initial_rx,
        s.zero_rtt_rx,
        s.retry_tx.len(),
        s.initial_tx,
        stats_text(&conn)
    );
}

async fn server(o: Opts) {
    let bind = match resolve(&o.host, o.port) {
        Ok(a) => a,
        Err(e) => return step("listen", "", false, &format!("{}: {}", o.host, e)),
    };
    let tls = match server_tls(&o) {
        Ok(c) => c,
        Err(e) => return step("listen", "", false, &e),
    };
    let mut cfg = quinn::ServerConfig::with_crypto(Arc::new(tls));
    cfg.use_retry(o.retry);
    let seen = Seen::default();
    let ep = match endpoint(bind, Some(cfg), &seen) {
        Ok(e) => e,
        Err(e) => return step("listen", "", false, &format!("{}: {}", bind, e)),
    };
    step(
        "listen",
        "",
        true,
        &format!(
            "on {}{}{}",
            bind,
            if o.retry { ", use_retry(true)" } else { "" },
            if o.early { ", early data" } else { "" }
        ),
    );
    for n in 1..=o.conns {
        match ep.accept().await {
            Some(c) => server_conn(&o, n, c, &seen).await,
            None => return step("accept", &conn_tag(n), false, "the endpoint closed"),
        }
    }
    let _ = tokio::time::timeout(Duration::from_secs(3), ep.wait_idle()).await;
}

fn main() {
    let o = parse_args();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let limit = Duration::from_secs(o.timeout);
    let client_side = o.client;
    let r = rt.block_on(async move {
        if client_side {
            tokio::time::timeout(limit, client(o)).await
        } else {
            tokio::time::timeout(limit, server(o)).await
        }
    });
    if r.is_err() {
        step(
            "timeout",
            "",
            false,
            &format!("gave up after {} s", limit.as_secs()),
        );
    }
    let f = FAILURES.load(Ordering::SeqCst);
    std::process::exit(if f == 0 { 0 } else { 1 });
}
