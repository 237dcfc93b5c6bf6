package oauthtest

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
)

// ErrTLSFault is the error the tls fault fails a handshake with, on the
// server's side; the client sees a TLS alert ("remote error: tls:
// internal error").
var ErrTLSFault = errors.New("oauthtest: the tls fault refused the handshake")

type connKey struct{}

// ConnContext is an http.Server ConnContext hook that keeps each
// request's connection, so that the reset fault can reset an HTTP/2
// connection, which cannot be hijacked, at the TCP level. Without it, an
// HTTP/2 reset is a stream reset (RST_STREAM, INTERNAL_ERROR) only.
func (f *Faults) ConnContext(ctx context.Context, c net.Conn) context.Context {
	return context.WithValue(ctx, connKey{}, c)
}

// TLSConfig returns a copy of base (nil: an empty config) whose
// handshakes fail while the tls fault is set, through
// GetConfigForClient: the client gets a TLS alert and no connection.
// base's own GetConfigForClient still runs otherwise. Use it as the
// server's TLSConfig (httptest.Server.TLS, or http.Server.TLSConfig
// before ServeTLS).
func (f *Faults) TLSConfig(base *tls.Config) *tls.Config {
	cfg := &tls.Config{}
	if base != nil {
		cfg = base.Clone()
	}
	prev := cfg.GetConfigForClient
	cfg.GetConfigForClient = func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
		if f.has(FaultTLS) {
			f.count(FaultTLS)
			return nil, ErrTLSFault
		}
		if prev != nil {
			return prev(hello)
		}
		return nil, nil
	}
	return cfg
}

// Install injects the faults into srv: its Handler through Wrap, its
// TLSConfig, when it has one, through TLSConfig, and its ConnContext
// (chained with any it had). Call it before srv serves. A server whose
// TLS configuration lives elsewhere (httptest.Server.TLS, a tls.Listener)
// takes TLSConfig there: setting an http.Server's TLSConfig for a server
// that does not serve with it would turn off its HTTP/2.
func (f *Faults) Install(srv *http.Server) {
	h := srv.Handler
	if h == nil {
		h = http.DefaultServeMux
	}
	srv.Handler = f.Wrap(h)
	if srv.TLSConfig != nil {
		srv.TLSConfig = f.TLSConfig(srv.TLSConfig)
	}
	prev := srv.ConnContext
	srv.ConnContext = func(ctx context.Context, c net.Conn) context.Context {
		if prev != nil {
			ctx = prev(ctx, c)
		}
		return f.ConnContext(ctx, c)
	}
}

// resetConnection closes the request's connection with SO_LINGER 0, so
// the kernel sends a TCP RST and the client's read fails with
// ECONNRESET: by hijacking it (HTTP/1.x), or through the connection
// ConnContext kept (HTTP/2). When neither is possible it aborts the
// handler, which resets the HTTP/2 stream. A client that happens to be
// writing when the RST arrives (on a new HTTP/2 connection, its SETTINGS
// acknowledgement) gets the reset on that write, and its read then sees
// io.ErrUnexpectedEOF: that is how TCP reports a reset, not a FIN.
func resetConnection(w http.ResponseWriter, r *http.Request) {
	// Read the request first: a client still writing its body when the
	// RST arrives may take the reset on that write and see only an EOF
	// on its next read.
	_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
	if r.ProtoMajor == 1 {
		if c, _, err := http.NewResponseController(w).Hijack(); err == nil {
			abortiveClose(c)
			return
		}
	}
	if c, ok := r.Context().Value(connKey{}).(net.Conn); ok {
		abortiveClose(c)
		return
	}
	panic(http.ErrAbortHandler)
}

// abortiveClose closes the TCP connection under c (unwrapping TLS)
// without a TLS close_notify and with SO_LINGER 0: a reset, not a FIN.
func abortiveClose(c net.Conn) {
	for {
		u, ok := c.(interface{ NetConn() net.Conn })
		if !ok {
			break
		}
		c = u.NetConn()
	}
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = c.Close()
}
