// SPDX-License-Identifier: GPL-2.0-or-later
//
// peer.go: the quic-go side of tests/interop_quicgo.sh, a QUIC v1 client or
// server built on quic-go 0.29 (Debian's golang-github-lucas-clemente-quic-go-
// dev), to test quic.ko and libquic (tests/interop_peer) against a third
// independent stack, mostly its address validation (Retry, RFC 9000
// section 8.1.2) and session resumption / 0-RTT.
//
//	quicgo_peer server [-retry] [-early] [-conns N] -cert F -key F
//	                   [-alpn A] [-timeout S] [-keylog F] HOST PORT
//	quicgo_peer client [-retry N] [-retry2 N] [-resume] [-early] -ca F
//	                   [-sni NAME] [-bytes N] [-alpn A] [-timeout S]
//	                   [-keylog F] HOST PORT
//
// The application protocol is the one of tests/interop_peer.c and
// tests/interop/quiche_peer.mjs, one request per client-initiated
// bidirectional stream (ALPN "interop"):
//
//	"PUT <n>\n" + n bytes + FIN  ->  "<sha256 of the n bytes, hex> <n>\n" FIN
//	"GET <n>\n" + FIN            ->  n bytes + FIN
//
// The bytes are always the same xorshift32 stream (pattern below, the same
// as interop_peer.c's pattern_fill()), so each side checks what it gets
// without trusting the other.  A client sends its PUT on stream 0 and its
// GET on stream 4, checks both answers, then closes the connection with
// application error 0.
//
// Server: -retry makes quic-go's server require address validation
// (quic.Config.RequireAddressValidation always true): a client whose
// Initial has no valid token gets a Retry.  A logging.Tracer sees each
// Retry the server sends (Tracer.SentPacket, packet type Retry), and each
// connection's transport parameters (ConnectionTracer.SentTransportParameters):
// for every connection the server prints how many Retry packets went to the
// client's address and port, and, when there was one, step retry-server
// checks that the connection's retry_source_connection_id is the Retry's
// Source Connection ID and that an original_destination_connection_id is
// there.  The server serves -conns connections (default 1) and exits.
// -early listens with ListenAddrEarly (0-RTT accepted, quic-go's session
// tickets allowing early data); step early-server tells whether a
// connection's first request came before the handshake completed and
// whether TLS says 0-RTT was used.
//
// Client: -retry N checks (step retry) that the first connection got N
// Retry packets (ConnectionTracer.ReceivedRetry); quic-go itself checks
// the server's original_destination_connection_id and
// retry_source_connection_id against them.  -resume makes two connections,
// one after the other, with a TLS session cache and a token store
// (quic.NewLRUTokenStore) shared: the second resumes (step resumed-2)
// and offers the server's NEW_TOKEN token, if any (-retry2 N checks its
// Retry count).  -early (with -resume) dials the second connection with
// DialAddrEarly and writes its PUT before the handshake completes: step
// early-2 checks that the server accepted the 0-RTT data.
//
// Output: lines "STEP <name> ok|fail <details>" (tests/interop/lib.sh turns
// them into TAP; the steps of a second connection end with "-2") and "# "
// diagnostics; a server prints "STEP listen ok" once it listens.  The exit
// status is 0 iff every step passed; 3 when -timeout seconds ran out.
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	quic "github.com/lucas-clemente/quic-go"
	"github.com/lucas-clemente/quic-go/logging"
)

const chunk = 65536

var (
	outMu    sync.Mutex
	failures int
)

// step prints one STEP line; name carries its "-N" suffix already.
func step(name string, ok bool, format string, a ...interface{}) {
	outMu.Lock()
	defer outMu.Unlock()
	res := "ok"
	if !ok {
		res = "fail"
		failures++
	}
	fmt.Printf("STEP %s %s %s\n", name, res, fmt.Sprintf(format, a...))
}

var start = time.Now()

func diag(format string, a ...interface{}) {
	outMu.Lock()
	defer outMu.Unlock()
	fmt.Printf("# "+format+"\n", a...)
}

// ms: milliseconds since the program started, for the diagnostics
func ms() int64 {
	return time.Since(start).Milliseconds()
}

// suffix: the step names' ending for connection n
func suffix(n int) string {
	if n > 1 {
		return "-" + strconv.Itoa(n)
	}
	return ""
}

// ------------------------------------------------------------- pattern

// pattern: xorshift32 words, little-endian, seeded as interop_peer.c does
type pattern struct {
	x    uint32
	word [4]byte
	used int
}

func newPattern() *pattern {
	return &pattern{x: 2463534242, used: 4}
}

func (p *pattern) fill(b []byte) {
	for i := range b {
		if p.used == 4 {
			p.x ^= p.x << 13
			p.x ^= p.x >> 17
			p.x ^= p.x << 5
			p.word[0] = byte(p.x)
			p.word[1] = byte(p.x >> 8)
			p.word[2] = byte(p.x >> 16)
			p.word[3] = byte(p.x >> 24)
			p.used = 0
		}
		b[i] = p.word[p.used]
		p.used++
	}
}

func patternBytes(n int) []byte {
	b := make([]byte, n)
	newPattern().fill(b)
	return b
}

// ------------------------------------------------------------- tracing

// connTrace: what a connection's tracer saw
type connTrace struct {
	logging.NullConnectionTracer
	mu          sync.Mutex
	remote      string
	odcid       logging.ConnectionID // from TracerForConnection
	sentTP      *logging.TransportParameters
	recvTP      *logging.TransportParameters
	retries     int
	retryHdrSrc logging.ConnectionID // a received Retry's Source CID
	closeErr    error
}

func (c *connTrace) StartedConnection(local, remote net.Addr, src, dst logging.ConnectionID) {
	c.mu.Lock()
	c.remote = remote.String()
	c.mu.Unlock()
	diag("%d ms: connection with %s started: scid %s, dcid %s", ms(), remote, src, dst)
}

func (c *connTrace) SentTransportParameters(tp *logging.TransportParameters) {
	c.mu.Lock()
	c.sentTP = tp
	c.mu.Unlock()
}

func (c *connTrace) ReceivedTransportParameters(tp *logging.TransportParameters) {
	c.mu.Lock()
	c.recvTP = tp
	c.mu.Unlock()
}

func (c *connTrace) ReceivedRetry(h *logging.Header) {
	c.mu.Lock()
	c.retries++
	c.retryHdrSrc = h.SrcConnectionID
	c.mu.Unlock()
	diag("client: %d ms: received a Retry: scid %s, dcid %s, token %d bytes",
		ms(), h.SrcConnectionID, h.DestConnectionID, len(h.Token))
}

func (c *connTrace) ClosedConnection(err error) {
	c.mu.Lock()
	c.closeErr = err
	c.mu.Unlock()
}

// retrySent: a Retry packet the server sent
type retrySent struct {
	to       string
	src, dst logging.ConnectionID
}

// tracer: the endpoint's tracer; keeps every connection's tracer and,
// on a server, the Retry packets sent
type tracer struct {
	logging.NullTracer
	mu      sync.Mutex
	conns   []*connTrace
	retries []retrySent
}

func (t *tracer) TracerForConnection(ctx context.Context, p logging.Perspective, odcid logging.ConnectionID) logging.ConnectionTracer {
	c := &connTrace{odcid: odcid}
	t.mu.Lock()
	t.conns = append(t.conns, c)
	t.mu.Unlock()
	return c
}

func (t *tracer) SentPacket(to net.Addr, h *logging.Header, size logging.ByteCount, frames []logging.Frame) {
	if logging.PacketTypeFromHeader(h) != logging.PacketTypeRetry {
		return
	}
	t.mu.Lock()
	t.retries = append(t.retries, retrySent{to.String(), h.SrcConnectionID, h.DestConnectionID})
	t.mu.Unlock()
	diag("server: %d ms: sent a Retry to %s: scid %s, dcid %s, token %d bytes",
		ms(), to, h.SrcConnectionID, h.DestConnectionID, len(h.Token))
}

// conn: the tracer of the last connection from remote (a server's)
func (t *tracer) conn(remote string) *connTrace {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i := len(t.conns) - 1; i >= 0; i-- {
		c := t.conns[i]
		c.mu.Lock()
		r := c.remote
		c.mu.Unlock()
		if r == remote {
			return c
		}
	}
	return nil
}

// last: the tracer of the last connection (a client's)
func (t *tracer) last() *connTrace {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.conns) == 0 {
		return nil
	}
	return t.conns[len(t.conns)-1]
}

// retriesTo: the Retry packets sent to remote
func (t *tracer) retriesTo(remote string) []retrySent {
	t.mu.Lock()
	defer t.mu.Unlock()
	var r []retrySent
	for _, s := range t.retries {
		if s.to == remote {
			r = append(r, s)
		}
	}
	return r
}

// ------------------------------------------------------------- options

type options struct {
	retry, early, resume bool
	retries, retries2    int
	conns, bytes         int
	timeout              int
	cert, key, ca        string
	sni, alpn, keylog    string
	host, port           string
}

func keylogWriter(path string) io.Writer {
	if path == "" {
		return nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0600)
	if err != nil {
		diag("keylog %s: %v", path, err)
		return nil
	}
	return f
}

// side: who sent a CONNECTION_CLOSE
func side(remote bool) string {
	if remote {
		return "peer"
	}
	return "local side"
}

// closeDesc: how a connection ended, and whether that was the peer's
// CONNECTION_CLOSE with no error
func closeDesc(err error) (string, bool) {
	var ae *quic.ApplicationError
	var te *quic.TransportError
	switch {
	case err == nil:
		return "no error recorded", false
	case errors.As(err, &ae):
		return fmt.Sprintf("application error %#x from the %s, \"%s\"",
			uint64(ae.ErrorCode), side(ae.Remote), ae.ErrorMessage), ae.Remote && ae.ErrorCode == 0
	case errors.As(err, &te):
		return fmt.Sprintf("transport error %s from the %s", te.Error(), side(te.Remote)),
			te.Remote && te.ErrorCode == quic.NoError
	}
	return err.Error(), false
}

// -------------------------------------------------------------- server

// serveStream answers one request; returns its kind or an error
func serveStream(s quic.Stream) (string, error) {
	defer s.CancelRead(0)
	var line []byte
	one := make([]byte, 1)
	for {
		if len(line) > 64 {
			return "", fmt.Errorf("request line too long")
		}
		if _, err := io.ReadFull(s, one); err != nil {
			return "", fmt.Errorf("reading the request line %q: %v", line, err)
		}
		if one[0] == '\n' {
			break
		}
		line = append(line, one[0])
	}
	req := string(line)
	var n int
	var err error
	switch {
	case strings.HasPrefix(req, "PUT "):
		n, err = strconv.Atoi(req[4:])
	case strings.HasPrefix(req, "GET "):
		n, err = strconv.Atoi(req[4:])
	default:
		err = fmt.Errorf("unknown request")
	}
	if err != nil || n < 0 {
		s.CancelWrite(1)
		return "", fmt.Errorf("bad request %q", req)
	}
	if req[0] == 'P' {
		h := sha256.New()
		got, err := io.Copy(h, s)
		if err != nil {
			return "", fmt.Errorf("PUT %d: reading after %d bytes: %v", n, got, err)
		}
		if got != int64(n) {
			s.CancelWrite(1)
			return "", fmt.Errorf("PUT %d: %d bytes came", n, got)
		}
		ans := fmt.Sprintf("%s %d\n", hex.EncodeToString(h.Sum(nil)), got)
		if _, err := s.Write([]byte(ans)); err != nil {
			return "", fmt.Errorf("PUT %d: answering: %v", n, err)
		}
		return fmt.Sprintf("PUT %d", n), s.Close()
	}
	if rest, err := io.ReadAll(s); err != nil || len(rest) > 0 {
		return "", fmt.Errorf("GET %d: %d bytes after the request, %v", n, len(rest), err)
	}
	p := newPattern()
	buf := make([]byte, chunk)
	for left := n; left > 0; {
		k := left
		if k > chunk {
			k = chunk
		}
		p.fill(buf[:k])
		if _, err := s.Write(buf[:k]); err != nil {
			return "", fmt.Errorf("GET %d: writing at %d: %v", n, n-left, err)
		}
		left -= k
	}
	return fmt.Sprintf("GET %d", n), s.Close()
}

// serveConn serves connection number n until the peer closes it
func serveConn(o *options, tr *tracer, conn quic.EarlyConnection, n int) {
	sfx := suffix(n)
	remote := conn.RemoteAddr().String()
	t0 := time.Now()
	ctx := conn.Context()
	var wg sync.WaitGroup
	var mu sync.Mutex
	served, bad := 0, 0
	firstEarly := -1 // 1: the first request came before the handshake completed
	hsDone := conn.HandshakeComplete()

	go func() {
		<-hsDone.Done()
		diag("server: %d ms: connection %d from %s: handshake complete, %d ms after Accept() returned it",
			ms(), n, remote, time.Since(t0).Milliseconds())
	}()
	var endErr error
	for {
		s, err := conn.AcceptStream(ctx)
		if err != nil {
			endErr = err
			break
		}
		mu.Lock()
		if firstEarly < 0 {
			firstEarly = 0
			select {
			case <-hsDone.Done():
			default:
				firstEarly = 1
			}
		}
		mu.Unlock()
		wg.Add(1)
		go func(s quic.Stream) {
			defer wg.Done()
			what, err := serveStream(s)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				bad++
				diag("server: connection %d stream %d: %v", n, s.StreamID(), err)
				return
			}
			served++
			diag("server: connection %d: served %s on stream %d", n, what, s.StreamID())
		}(s)
	}
	<-ctx.Done()
	wg.Wait()

	st := conn.ConnectionState().TLS
	step("handshake"+sfx, st.HandshakeComplete && st.NegotiatedProtocol == o.alpn,
		"from %s, alpn %q, %s, resumed %v, 0-RTT used %v", remote,
		st.NegotiatedProtocol, tls.CipherSuiteName(st.CipherSuite), st.DidResume, st.Used0RTT)
	step("serve"+sfx, served == 2 && bad == 0, "%d requests served, %d bad", served, bad)

	ct := tr.conn(remote)
	rs := tr.retriesTo(remote)
	diag("server: connection %d from %s: %d Retry packets sent to it", n, remote, len(rs))
	// with -retry the first connection must have come through one Retry;
	// a later one may have had a token from NEW_TOKEN instead
	if o.retry && (n == 1 || len(rs) > 0) {
		ok := ct != nil
		var desc string
		if ct != nil {
			ct.mu.Lock()
			tp := ct.sentTP
			ct.mu.Unlock()
			last := rs[len(rs)-1]
			if tp == nil || tp.RetrySourceConnectionID == nil || tp.OriginalDestinationConnectionID.Len() == 0 {
				ok = false
				desc = "the transport parameters lack original_destination or retry_source_connection_id"
			} else {
				ok = len(rs) == 1 && tp.RetrySourceConnectionID.Equal(last.src)
				desc = fmt.Sprintf("our transport parameters: original_destination_connection_id %s, retry_source_connection_id %s (the Retry's scid %s)",
					tp.OriginalDestinationConnectionID, *tp.RetrySourceConnectionID, last.src)
			}
		} else {
			desc = "no tracer for the connection"
		}
		step("retry-server"+sfx, ok, "%d Retry sent to %s; then the handshake completed with its token; %s",
			len(rs), remote, desc)
	}
	if o.early && n > 1 {
		step("early-server"+sfx, st.Used0RTT && firstEarly == 1,
			"0-RTT used %v; the first request came before the handshake completed: %v",
			st.Used0RTT, firstEarly == 1)
	}
	if o.conns > 1 && n > 1 {
		step("resumed-server"+sfx, st.DidResume, "DidResume %v", st.DidResume)
	}
	// AcceptStream() ends with the error that closed the connection
	desc, ok := closeDesc(endErr)
	step("peer-close"+sfx, ok, "%s", desc)
}

func server(o *options) int {
	cert, err := tls.LoadX509KeyPair(o.cert, o.key)
	if err != nil {
		step("listen", false, "certificate and key: %v", err)
		return 1
	}
	tlsConf := &tls.Config{
		Certificates: []tls.Certificate{cert},
		NextProtos:   []string{o.alpn},
		KeyLogWriter: keylogWriter(o.keylog),
	}
	tr := &tracer{}
	retry := o.retry
	conf := &quic.Config{
		RequireAddressValidation: func(net.Addr) bool { return retry },
		HandshakeIdleTimeout:     10 * time.Second,
		MaxIdleTimeout:           time.Duration(o.timeout) * time.Second,
		Tracer:                   tr,
	}
	addr := net.JoinHostPort(o.host, o.port)
	var accept func(context.Context) (quic.EarlyConnection, error)
	if o.early {
		ln, err := quic.ListenAddrEarly(addr, tlsConf, conf)
		if err != nil {
			step("listen", false, "%v", err)
			return 1
		}
		defer ln.Close()
		accept = ln.Accept
	} else {
		ln, err := quic.ListenAddr(addr, tlsConf, conf)
		if err != nil {
			step("listen", false, "%v", err)
			return 1
		}
		defer ln.Close()
		accept = func(ctx context.Context) (quic.EarlyConnection, error) {
			c, err := ln.Accept(ctx)
			if err != nil {
				return nil, err
			}
			return c.(quic.EarlyConnection), nil
		}
	}
	step("listen", true, "on %s, quic-go, retry %v, 0-RTT %v", addr, o.retry, o.early)
	var wg sync.WaitGroup
	for n := 1; n <= o.conns; n++ {
		conn, err := accept(context.Background())
		if err != nil {
			step("accept"+suffix(n), false, "%v", err)
			break
		}
		wg.Add(1)
		go func(n int) {
			defer wg.Done()
			serveConn(o, tr, conn, n)
		}(n)
	}
	wg.Wait()
	if failures > 0 {
		return 1
	}
	return 0
}

// -------------------------------------------------------------- client

// readAnswer: a stream's whole answer, at most max bytes
func readAnswer(s quic.Stream, max int) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(s, int64(max)+1))
	if err == nil && len(b) > max {
		err = fmt.Errorf("more than %d bytes", max)
	}
	return b, err
}

// putSend: "PUT <n>" and n bytes on a new stream (0), then FIN; returns
// the answer expected
func putSend(ctx context.Context, conn quic.EarlyConnection, n int) (quic.Stream, string, error) {
	s, err := conn.OpenStreamSync(ctx)
	if err != nil {
		return nil, "", err
	}
	body := patternBytes(n)
	if _, err := s.Write(append([]byte(fmt.Sprintf("PUT %d\n", n)), body...)); err != nil {
		return nil, "", err
	}
	sum := sha256.Sum256(body)
	return s, fmt.Sprintf("%s %d\n", hex.EncodeToString(sum[:]), n), s.Close()
}

func putCheck(s quic.Stream, want string, t0 time.Time, sfx string) bool {
	got, err := readAnswer(s, 256)
	if err != nil {
		step("upload"+sfx, false, "stream %d: reading the answer: %v", s.StreamID(), err)
		return false
	}
	ok := string(got) == want
	step("upload"+sfx, ok, "stream %d: the server saw \"%s\", we sent \"%s\"; %d ms",
		s.StreamID(), strings.TrimSpace(string(got)), strings.TrimSpace(want),
		time.Since(t0).Milliseconds())
	return ok
}

func get(ctx context.Context, conn quic.EarlyConnection, n int, sfx string) bool {
	t0 := time.Now()
	s, err := conn.OpenStreamSync(ctx)
	if err == nil {
		_, err = s.Write([]byte(fmt.Sprintf("GET %d\n", n)))
	}
	if err == nil {
		err = s.Close()
	}
	if err != nil {
		step("download"+sfx, false, "sending the request: %v", err)
		return false
	}
	got, err := readAnswer(s, n+chunk)
	if err != nil {
		step("download"+sfx, false, "stream %d: after %d bytes: %v", s.StreamID(), len(got), err)
		return false
	}
	want := patternBytes(n)
	if len(got) != n {
		step("download"+sfx, false, "stream %d: %d bytes, asked for %d", s.StreamID(), len(got), n)
		return false
	}
	if !bytes.Equal(got, want) {
		i := 0
		for got[i] == want[i] {
			i++
		}
		step("download"+sfx, false, "stream %d: byte %d differs", s.StreamID(), i)
		return false
	}
	sum := sha256.Sum256(got)
	step("download"+sfx, true, "stream %d: %d bytes checked byte by byte in %d ms, sha256 %s",
		s.StreamID(), n, time.Since(t0).Milliseconds(), hex.EncodeToString(sum[:]))
	return true
}

// clientConn: connection n; false if the next one should not be tried
func clientConn(o *options, tlsConf *tls.Config, conf *quic.Config, tr *tracer, n int) bool {
	sfx := suffix(n)
	addr := net.JoinHostPort(o.host, o.port)
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(o.timeout)*time.Second)
	defer cancel()
	t0 := time.Now()
	early := o.early && n > 1
	var conn quic.EarlyConnection
	var err error
	if early {
		conn, err = quic.DialAddrEarlyContext(ctx, addr, tlsConf, conf)
	} else {
		var c quic.Connection
		c, err = quic.DialAddrContext(ctx, addr, tlsConf, conf)
		if err == nil {
			conn = c.(quic.EarlyConnection)
		}
	}
	if err != nil {
		step("handshake"+sfx, false, "dialing %s: %v", addr, err)
		return false
	}
	ct := tr.last()
	// with -early: the PUT goes before the handshake completes
	var ps quic.Stream
	var want string
	var perr error
	if early {
		ps, want, perr = putSend(ctx, conn, o.bytes)
		select {
		case <-conn.HandshakeComplete().Done():
			diag("client: connection %d: the handshake completed before the PUT was written", n)
		default:
		}
	}
	select {
	case <-conn.HandshakeComplete().Done():
	case <-ctx.Done():
	}
	st := conn.ConnectionState().TLS
	step("handshake"+sfx, st.HandshakeComplete && st.NegotiatedProtocol == o.alpn,
		"in %d ms, alpn %q, %s, from %s", time.Since(t0).Milliseconds(), st.NegotiatedProtocol,
		tls.CipherSuiteName(st.CipherSuite), conn.LocalAddr())
	if !st.HandshakeComplete {
		conn.CloseWithError(1, "handshake")
		return false
	}
	retries := 0
	if ct != nil {
		ct.mu.Lock()
		retries = ct.retries
		tp := ct.recvTP
		ct.mu.Unlock()
		if tp != nil {
			rscid := "none"
			if tp.RetrySourceConnectionID != nil {
				rscid = tp.RetrySourceConnectionID.String()
			}
			diag("client: connection %d: the server's original_destination_connection_id %s, retry_source_connection_id %s",
				n, tp.OriginalDestinationConnectionID, rscid)
		}
	}
	diag("client: connection %d from %s got %d Retry packets", n, conn.LocalAddr(), retries)
	expect := o.retries
	if n > 1 {
		expect = o.retries2
	}
	if expect >= 0 {
		step("retry"+sfx, retries == expect, "%d Retry packets received (%d expected)%s",
			retries, expect, map[bool]string{true: ", then quic-go validated the server's original_destination_connection_id and retry_source_connection_id", false: ""}[retries > 0])
	}
	if n > 1 {
		step("resumed"+sfx, st.DidResume, "DidResume %v", st.DidResume)
	}
	if early {
		ok := perr == nil && st.Used0RTT
		step("early"+sfx, ok, "PUT written before the handshake (%v); the server accepted 0-RTT: %v",
			perr, st.Used0RTT)
	}

	ok := true
	if early {
		ok = perr == nil && putCheck(ps, want, t0, sfx)
	} else {
		t1 := time.Now()
		ps, want, perr = putSend(ctx, conn, o.bytes)
		if perr != nil {
			step("upload"+sfx, false, "sending: %v", perr)
			ok = false
		} else {
			ok = putCheck(ps, want, t1, sfx)
		}
	}
	if ok {
		ok = get(ctx, conn, o.bytes, sfx)
	} else {
		step("download"+sfx, false, "not run: the upload failed")
	}
	if o.resume && n == 1 {
		// the session ticket comes after the handshake: give it time
		time.Sleep(200 * time.Millisecond)
	}
	err = conn.CloseWithError(0, "")
	step("close"+sfx, err == nil, "CloseWithError(0): %v", err)
	return ok
}

func client(o *options) int {
	pemBytes, err := os.ReadFile(o.ca)
	pool := x509.NewCertPool()
	if err != nil || !pool.AppendCertsFromPEM(pemBytes) {
		step("handshake", false, "the CA %s: %v", o.ca, err)
		return 1
	}
	tlsConf := &tls.Config{
		RootCAs:      pool,
		ServerName:   o.sni,
		NextProtos:   []string{o.alpn},
		KeyLogWriter: keylogWriter(o.keylog),
	}
	tr := &tracer{}
	conf := &quic.Config{
		HandshakeIdleTimeout: 10 * time.Second,
		MaxIdleTimeout:       time.Duration(o.timeout) * time.Second,
		Tracer:               tr,
	}
	if o.resume {
		tlsConf.ClientSessionCache = tls.NewLRUClientSessionCache(4)
		conf.TokenStore = quic.NewLRUTokenStore(4, 4)
	}
	if clientConn(o, tlsConf, conf, tr, 1) && o.resume {
		clientConn(o, tlsConf, conf, tr, 2)
	}
	if failures > 0 {
		return 1
	}
	return 0
}

// ---------------------------------------------------------------- main

func usage() {
	fmt.Fprintf(os.Stderr, "usage: quicgo_peer server|client [options] HOST PORT\n")
	os.Exit(2)
}

func main() {
	if len(os.Args) < 2 || (os.Args[1] != "server" && os.Args[1] != "client") {
		usage()
	}
	mode := os.Args[1]
	o := &options{}
	fs := flag.NewFlagSet(mode, flag.ExitOnError)
	fs.StringVar(&o.alpn, "alpn", "interop", "ALPN")
	fs.IntVar(&o.timeout, "timeout", 30, "seconds before giving up (exit 3)")
	fs.StringVar(&o.keylog, "keylog", "", "TLS key log file")
	fs.BoolVar(&o.early, "early", false, "0-RTT (client: with -resume)")
	if mode == "server" {
		fs.BoolVar(&o.retry, "retry", false, "send a Retry to every client without a valid token")
		fs.IntVar(&o.conns, "conns", 1, "connections to serve")
		fs.StringVar(&o.cert, "cert", "", "certificate (PEM)")
		fs.StringVar(&o.key, "key", "", "private key (PEM)")
	} else {
		fs.IntVar(&o.retries, "retry", -1, "Retry packets the first connection must get (-1: not checked)")
		fs.IntVar(&o.retries2, "retry2", -1, "Retry packets the second connection must get")
		fs.BoolVar(&o.resume, "resume", false, "two connections, the second resuming")
		fs.StringVar(&o.ca, "ca", "", "CA to verify the server with (PEM)")
		fs.StringVar(&o.sni, "sni", "localhost", "server name")
		fs.IntVar(&o.bytes, "bytes", 16384, "PUT and GET size")
	}
	fs.Parse(os.Args[2:])
	if fs.NArg() != 2 || (o.early && mode == "client" && !o.resume) {
		usage()
	}
	o.host, o.port = fs.Arg(0), fs.Arg(1)

	go func() {
		time.Sleep(time.Duration(o.timeout) * time.Second)
		step("timeout", false, "%s: %d s ran out", mode, o.timeout)
		os.Exit(3)
	}()
	if mode == "server" {
		os.Exit(server(o))
	}
	os.Exit(client(o))
}
