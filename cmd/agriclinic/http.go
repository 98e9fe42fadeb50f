package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// httpTimeouts bound every connection of the binary's HTTP servers, so that a client that
// sends slowly, reads slowly or keeps a connection open and silent cannot hold it (and its
// goroutine and file descriptor) without end.
type httpTimeouts struct {
	ReadHeader time.Duration // the request line and headers
	Read       time.Duration // the whole request, body included
	Write      time.Duration // from the end of the headers to the end of the response
	Idle       time.Duration // a kept-alive connection waiting for its next request
}

// defaultHTTPTimeouts fit the longest honest requests: a 10 MB photo uploaded in the
// playground, a 25 s long poll of its chats, a 30 s photo fetch from Telegram for the
// dashboard and a whole county's archive exported as a workbook.
func defaultHTTPTimeouts() httpTimeouts {
	return httpTimeouts{ReadHeader: 10 * time.Second, Read: time.Minute, Write: 2 * time.Minute, Idle: 2 * time.Minute}
}

// newHTTPServer is how every HTTP server of the binary is made: h within the timeouts.
func newHTTPServer(h http.Handler, t httpTimeouts) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: t.ReadHeader, ReadTimeout: t.Read, WriteTimeout: t.Write, IdleTimeout: t.Idle}
}

// httpServers are the binary's HTTP servers, serving: the public one on HTTP_ADDR (the
// dashboard, calendars, health and the webhook) and /metrics on METRICS_ADDR, apart from
// it, so the public port does not tell the world how the clinic is doing.
type httpServers struct {
	servers []*http.Server
	// addr is where HTTP_ADDR was listened on (its port chosen when it said 0).
	addr net.Addr
	// errs receives why each server stopped serving.
	errs chan error
}

// listenHTTP listens on HTTP_ADDR and, unless off, METRICS_ADDR, and serves public and
// metrics on them.
func listenHTTP(cfg config, public, metrics http.Handler, log *slog.Logger) (*httpServers, error) {
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return nil, fmt.Errorf("HTTP_ADDR: %w", err)
	}
	listeners := []net.Listener{ln}
	s := &httpServers{servers: []*http.Server{newHTTPServer(public, cfg.HTTPTimeouts)}, addr: ln.Addr(), errs: make(chan error, 2)}
	if cfg.MetricsAddr != "" {
		mln, err := net.Listen("tcp", cfg.MetricsAddr)
		if err != nil {
			ln.Close()
			return nil, fmt.Errorf("METRICS_ADDR: %w", err)
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", metrics)
		listeners = append(listeners, mln)
		s.servers = append(s.servers, newHTTPServer(mux, cfg.HTTPTimeouts))
		log.Info("metrics listening", "addr", mln.Addr().String())
	}
	for i, srv := range s.servers {
		go func() { s.errs <- srv.Serve(listeners[i]) }()
	}
	log.Info("http listening", "addr", ln.Addr().String())
	return s, nil
}

// Shutdown stops the servers, letting requests in flight finish until ctx ends.
func (s *httpServers) Shutdown(ctx context.Context) error {
	var errs []error
	for _, srv := range s.servers {
		errs = append(errs, srv.Shutdown(ctx))
	}
	return errors.Join(errs...)
}

// Close stops the servers at once (after Shutdown, nothing is left to stop).
func (s *httpServers) Close() {
	for _, srv := range s.servers {
		_ = srv.Close()
	}
}
