// Command modelguard-ferretdb serves the MongoDB wire protocol on a local
// port, backed by SQLite files in a directory, for the lab's worker and tests.
//
// Real mongod cannot be installed from any registry the lab's machines reach,
// so we embed FerretDB instead. We use its embeddable package rather than its
// own command because `go install` of that command builds a binary that
// panics at start-up (it expects a generated build/version/version.txt that
// module downloads do not contain).
//
// FerretDB 1.x runs `update` and `findAndModify` as read, change in Go, write
// back, with nothing stopping two of them from interleaving: eight threads
// doing 25 `$inc`s each on one document end with a count near 30, not 200,
// and every call reports success. MongoDB applies each update to a document
// atomically, and the lab's worker relies on that. So FerretDB listens on a
// Unix socket only, and the TCP port is served by the small relay in front.go,
// which lets one such command run at a time (see front.go).
//
// Built and started by scripts/mongo.sh; not meant to be run by hand.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:27017", "TCP address to serve the MongoDB wire protocol on")
	dir := flag.String("dir", "", "directory holding the SQLite files, one per database (created if missing)")
	socket := flag.String("socket", "", "Unix socket between the relay and FerretDB (default: <dir>.sock)")
	logLevel := flag.String("log-level", "info", "debug, info, warn or error")
	flag.Parse()

	if err := run(*listen, *dir, *socket, *logLevel); err != nil {
		fmt.Fprintln(os.Stderr, "modelguard-ferretdb:", err)
		os.Exit(1)
	}
}

func run(listen, dir, socket, logLevel string) error {
	if dir == "" {
		return errors.New("-dir is required")
	}

	var level slog.Level
	if err := level.UnmarshalText([]byte(logLevel)); err != nil {
		return fmt.Errorf("-log-level: %w", err)
	}

	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}

	if socket == "" {
		socket = filepath.Clean(abs) + ".sock"
	}

	// sun_path holds 108 bytes on Linux; a longer path fails with a cryptic
	// "invalid argument" deep inside FerretDB.
	if len(socket) > 100 {
		return fmt.Errorf("-socket path %q is too long for a Unix socket; pass a shorter one", socket)
	}

	// The SQLite backend refuses a directory that does not exist yet.
	if err = os.MkdirAll(abs, 0o755); err != nil {
		return err
	}

	// Take the public port first: if another instance is running, we must
	// fail here, before touching the socket that instance is using.
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	defer ln.Close()

	// A socket file left by a killed run would make FerretDB's bind fail.
	if err = os.Remove(socket); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}

	f, err := ferretdb.New(&ferretdb.Config{
		Listener: ferretdb.ListenerConfig{Unix: socket},
		Logger:   logger,
		Handler:  "sqlite",
		// The backend insists on a "file:" URI whose path ends with a slash.
		SQLiteURL: "file:" + filepath.ToSlash(abs) + "/",
	})
	if err != nil {
		return err
	}

	// SIGTERM from `mongo.sh stop` must close the listener and the SQLite
	// files cleanly, so the next start does not find a half-written journal.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	logger.Info("modelguard-ferretdb starting", "listen", listen, "dir", abs, "socket", socket, "pid", os.Getpid())

	relayDone := make(chan struct{})

	go func() {
		defer close(relayDone)
		// Without the relay nobody can reach FerretDB: take it down too.
		defer stop()
		newFront(socket, logger).serve(ctx, ln)
	}()

	err = f.Run(ctx)

	<-relayDone
	_ = os.Remove(socket)

	logger.Info("modelguard-ferretdb stopped")

	return err
}
