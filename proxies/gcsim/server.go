package gcsim

import (
	"context"
	"errors"
	"net"
	"net/http"
	"testing"
	"time"
)

// Server is a Sim listening on a real loopback port, like httptest.Server.
type Server struct {
	URL string // base URL, http://127.0.0.1:PORT, for both the API and /oauth/token
	Sim *Sim
	srv *http.Server
	ln  net.Listener
}

// NewServer starts a simulator on 127.0.0.1 with a port chosen by the system. It is closed
// by t.Cleanup. It fails the test if it cannot listen.
func NewServer(t testing.TB, opts Options) *Server {
	t.Helper()
	sim := New(opts)
	return NewServerHandler(t, sim, sim)
}

// NewServerHandler is NewServer for a simulator the caller made, served behind h: every
// request, /oauth/token and /__sim/ ones included, goes to h, which passes it on to sim (a
// validating or recording middleware, such as spec.Checker.Wrap(sim)). Server.Sim is sim.
// It is closed by t.Cleanup and fails the test if it cannot listen.
func NewServerHandler(t testing.TB, sim *Sim, h http.Handler) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("gcsim: listen: %v", err)
	}
	s := ServeHandler(ln, sim, h)
	t.Cleanup(s.Close)
	return s
}

// Serve serves sim on ln until Close. cmd/gcsim uses it with its own listener.
func Serve(ln net.Listener, sim *Sim) *Server { return ServeHandler(ln, sim, sim) }

// ServeHandler is Serve with h in front of sim: h receives every request and passes it on
// to sim. Server.Sim is sim.
func ServeHandler(ln net.Listener, sim *Sim, h http.Handler) *Server {
	s := &Server{
		URL: "http://" + ln.Addr().String(),
		Sim: sim,
		ln:  ln,
		srv: &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second},
	}
	go func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			sim.logf("gcsim: serve: %v", err)
		}
	}()
	return s
}

// Close stops the server at once, closing every connection.
func (s *Server) Close() { _ = s.srv.Close() }

// Shutdown stops accepting requests and waits for those in flight, or until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	return s.srv.Shutdown(ctx)
}
