package main

// The relay between the lab's clients (TCP) and FerretDB (Unix socket).
//
// It copies MongoDB wire messages both ways unchanged. The one thing it adds:
// an `update` or `findAndModify` command takes a process-wide slot before it
// is passed on, and gives it back when FerretDB's reply to it comes through.
// So those read-modify-write commands never overlap, which is what makes a
// `$inc` from eight threads add up (see main.go). Everything else, reads
// included, flows freely, and a client's own requests are never reordered.
//
// What it does not cover: an unacknowledged (w:0) update sets moreToCome and
// gets no reply, so there is no moment to give the slot back; such writes are
// passed on without it and can still lose updates under contention.

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"
)

const (
	opMsg = 2013

	// msgMaxBytes is well above MongoDB's 48 MB maxMessageSizeBytes; anything
	// bigger means we lost track of message boundaries.
	msgMaxBytes = 64 << 20

	flagChecksumPresent = 1 << 0
	flagMoreToCome      = 1 << 1
)

type front struct {
	backend string
	l       *slog.Logger

	// writeSlot holds one token: whoever has it may run a read-modify-write.
	writeSlot chan struct{}
}

func newFront(backend string, l *slog.Logger) *front {
	fr := &front{backend: backend, l: l, writeSlot: make(chan struct{}, 1)}
	fr.writeSlot <- struct{}{}

	return fr
}

// serve accepts clients until ctx is done, then closes every relayed
// connection and returns once all of them are gone.
func (fr *front) serve(ctx context.Context, ln net.Listener) {
	stop := context.AfterFunc(ctx, func() { _ = ln.Close() })
	defer stop()

	var wg sync.WaitGroup
	defer wg.Wait()

	for {
		conn, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return
			}

			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(50 * time.Millisecond)
				continue
			}

			fr.l.Error("relay: accept failed; shutting down", "error", err)

			return
		}

		wg.Add(1)

		go func() {
			defer wg.Done()
			fr.relay(ctx, conn)
		}()
	}
}

// dial reaches FerretDB's socket. It is bound before the relay accepts
// anyone, so a failure here is unexpected; a short retry covers a busy start.
func (fr *front) dial(ctx context.Context) (net.Conn, error) {
	var d net.Dialer

	deadline := time.Now().Add(5 * time.Second)

	for {
		conn, err := d.DialContext(ctx, "unix", fr.backend)
		if err == nil || time.Now().After(deadline) || ctx.Err() != nil {
			return conn, err
		}

		time.Sleep(50 * time.Millisecond)
	}
}

// slotHolder tracks, for one client connection, the request whose reply
// will give the write slot back.
type slotHolder struct {
	mu        sync.Mutex
	held      bool
	requestID int32
}

func (fr *front) relay(ctx context.Context, client net.Conn) {
	defer client.Close()

	server, err := fr.dial(ctx)
	if err != nil {
		fr.l.Error("relay: cannot reach FerretDB", "socket", fr.backend, "error", err)
		return
	}
	defer server.Close()

	// Closing both ends unblocks both copy loops on shutdown.
	stop := context.AfterFunc(ctx, func() {
		_ = client.Close()
		_ = server.Close()
	})
	defer stop()

	var slot slotHolder

	giveBack := func(onlyFor int32, any bool) {
		slot.mu.Lock()
		defer slot.mu.Unlock()

		if slot.held && (any || slot.requestID == onlyFor) {
			slot.held = false
			fr.writeSlot <- struct{}{}
		}
	}

	// Whatever happens to this connection, the slot must not leak.
	defer giveBack(0, true)

	replies := make(chan struct{})

	go func() {
		defer close(replies)
		defer client.Close()

		for {
			msg, err := readMessage(server)
			if err != nil {
				return
			}

			giveBack(responseTo(msg), false)

			if _, err = client.Write(msg); err != nil {
				return
			}
		}
	}()

	for {
		msg, err := readMessage(client)
		if err != nil {
			break
		}

		if needsSlot(msg) {
			select {
			case <-fr.writeSlot:
			case <-ctx.Done():
				return
			case <-replies:
				// The server side is gone; nothing more can be relayed.
				return
			}

			slot.mu.Lock()
			slot.held, slot.requestID = true, requestID(msg)
			slot.mu.Unlock()
		}

		if _, err = server.Write(msg); err != nil {
			break
		}
	}

	_ = server.Close()

	<-replies
}

// readMessage reads one whole wire message: the 16-byte header
// (messageLength, requestID, responseTo, opCode) and its body.
func readMessage(r io.Reader) ([]byte, error) {
	var header [16]byte
	if _, err := io.ReadFull(r, header[:]); err != nil {
		return nil, err
	}

	n := int32(binary.LittleEndian.Uint32(header[0:4]))
	if n < 16 || n > msgMaxBytes {
		return nil, fmt.Errorf("wire message length %d out of range", n)
	}

	msg := make([]byte, n)
	copy(msg, header[:])

	if _, err := io.ReadFull(r, msg[16:]); err != nil {
		return nil, err
	}

	return msg, nil
}

func requestID(msg []byte) int32  { return int32(binary.LittleEndian.Uint32(msg[4:8])) }
func responseTo(msg []byte) int32 { return int32(binary.LittleEndian.Uint32(msg[8:12])) }

// needsSlot reports whether msg is an acknowledged OP_MSG `update` or
// `findAndModify` command.
func needsSlot(msg []byte) bool {
	if binary.LittleEndian.Uint32(msg[12:16]) != opMsg || len(msg) < 21 {
		return false
	}

	flags := binary.LittleEndian.Uint32(msg[16:20])
	if flags&flagMoreToCome != 0 {
		return false
	}

	end := len(msg)
	if flags&flagChecksumPresent != 0 {
		end -= 4
	}

	// Sections: kind 0 is the command document (its first key names the
	// command); kind 1 is a sequence of documents, e.g. the `updates` batch.
	for i := 20; i < end; {
		kind := msg[i]
		i++

		if i+4 > end {
			return false
		}

		size := int(int32(binary.LittleEndian.Uint32(msg[i : i+4])))
		if size < 5 || i+size > end {
			return false
		}

		if kind == 0 {
			return isSerialisedCommand(firstKey(msg[i : i+size]))
		}

		i += size
	}

	return false
}

// firstKey returns the name of the first element of a BSON document.
func firstKey(doc []byte) string {
	if len(doc) < 6 {
		return ""
	}

	// int32 length, element type byte, then the key as a C string.
	key := doc[5:]
	if n := bytes.IndexByte(key, 0); n >= 0 {
		return string(key[:n])
	}

	return ""
}

func isSerialisedCommand(name string) bool {
	switch name {
	case "update", "findAndModify", "findandmodify":
		return true
	default:
		return false
	}
}
