package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

// defaultHealthAddr is where /healthz listens unless HEALTH_ADDR says
// otherwise: loopback, for the container's own HEALTHCHECK.
const defaultHealthAddr = "127.0.0.1:8081"

// healthTimeout bounds one health check, the database write included.
const healthTimeout = 5 * time.Second

// healthHandler serves /healthz: 200 "ok" when check passes, 503 with the
// reason otherwise.
func healthHandler(check func(context.Context) error) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), healthTimeout)
		defer cancel()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if err := check(ctx); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, "unhealthy: "+err.Error())
			return
		}
		fmt.Fprintln(w, "ok")
	})
	return mux
}

// listen opens addr for an HTTP server, so a taken port fails the start
// with a clear line rather than later in the log.
func listen(name, addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%s: can't listen on %s: %w", name, addr, err)
	}
	return ln, nil
}

// serveHTTP serves h on ln until ctx ends.
func serveHTTP(ctx context.Context, ln net.Listener, h http.Handler, logger *slog.Logger, name string) {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error(name+" server stopped", "err", err)
		}
	}()
	logger.Info("serving "+name, "addr", ln.Addr().String())
	<-ctx.Done()
	shutdown, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	srv.Shutdown(shutdown)
	<-done
}

// mainHealthcheck is `smsbot healthcheck`: it asks the running bot's
// /healthz (HEALTH_ADDR) and exits 0 when healthy, 1 with the reason
// otherwise. Distroless images have no shell or curl: this is the
// container's HEALTHCHECK.
func mainHealthcheck() int {
	addr := strings.TrimSpace(os.Getenv("HEALTH_ADDR"))
	if addr == "" {
		addr = defaultHealthAddr
	}
	if addr == "off" {
		fmt.Fprintln(os.Stderr, "smsbot healthcheck: HEALTH_ADDR is off")
		return 1
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "smsbot healthcheck: HEALTH_ADDR %q: %v\n", addr, err)
		return 1
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1" // listening everywhere: loopback is one of them
	}
	client := &http.Client{Timeout: healthTimeout + time.Second}
	resp, err := client.Get("http://" + net.JoinHostPort(host, port) + "/healthz")
	if err != nil {
		fmt.Fprintln(os.Stderr, "smsbot healthcheck: "+err.Error())
		return 1
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(os.Stderr, "smsbot healthcheck: HTTP %d: %s\n", resp.StatusCode, strings.TrimSpace(string(body)))
		return 1
	}
	return 0
}

// newLogger writes text lines, or JSON objects (slog's JSON handler, for log
// shippers) when format is "json".
func newLogger(w io.Writer, format string, level slog.Level) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
