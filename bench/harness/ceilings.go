package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/docbridge/docbridge/hl7"
)

// ceilings are what this machine does, measured in the same run as the
// MLLP figure, so that docbridge's AA/s reads as a ratio to them.
type ceilings struct {
	// Echo is AA/s of a bare MLLP server (de-frame, parse the header,
	// answer AA; nothing stored) over the same connections and messages.
	Echo float64
	// DurableEcho is AA/s of an MLLP server that commits each message in
	// SQLite (group commit) before its AA, converting nothing; Floor is the
	// same converting each message first (mllpFloor: the least an AA needs).
	DurableEcho, Floor float64
	// Commits is SQLite commits per second, one after another, each one
	// tiny row (WAL, synchronous=FULL, the driver docbridge uses).
	Commits float64
	// FileSyncs is small files per second, one after another: create,
	// write 4 KiB, fsync, close.
	FileSyncs float64
}

// measureCeilings measures the ceilings in dir (on the data
// directories' filesystem), with the MLLP messages of run.
func measureCeilings(ctx context.Context, dir string, t *templates, run, conns, perConn int) (ceilings, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return ceilings{}, err
	}
	var c ceilings
	echo, err := runEcho(t, run, conns, perConn)
	if err != nil {
		return c, fmt.Errorf("echo server: %w", err)
	}
	c.Echo = echo.perSec()
	for _, fl := range []struct {
		convert bool
		to      *float64
	}{{false, &c.DurableEcho}, {true, &c.Floor}} {
		r, err := runMLLPFloor(ctx, dir, fl.convert, t, run, conns, perConn)
		if err != nil {
			return c, fmt.Errorf("MLLP floor (convert %v): %w", fl.convert, err)
		}
		*fl.to = r.perSec()
	}
	if c.Commits, err = sqliteCommits(ctx, filepath.Join(dir, "commits.db"), 2*time.Second); err != nil {
		return c, fmt.Errorf("sqlite commits: %w", err)
	}
	if c.FileSyncs, err = fileSyncs(filepath.Join(dir, "files"), 2*time.Second); err != nil {
		return c, fmt.Errorf("file fsyncs: %w", err)
	}
	return c, nil
}

// runEcho serves MLLP on loopback answering AA to every message without
// storing it, and runs the MLLP load against it.
func runEcho(t *templates, run, conns, perConn int) (mllpResult, error) {
	// Control ids of their own (run+100): the same message text otherwise.
	echo := func(nc net.Conn) { answerEach(nc, func([]byte) (hl7.AckCode, error) { return hl7.AA, nil }) }
	return runAgainst(echo, t, run+100, conns, perConn)
}

// runAgainst serves MLLP on loopback, each connection with serve (which
// closes it), and runs the MLLP load of run against it.
func runAgainst(serve func(nc net.Conn), t *templates, run, conns, perConn int) (mllpResult, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return mllpResult{}, err
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	defer ln.Close()
	wg.Go(func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { serve(nc) })
		}
	})
	res, _, err := runMLLP(ln.Addr().String(), t, run, conns, perConn)
	return res, err
}

// answerEach answers each message of nc with the code answer gives it,
// until nc closes or answer fails (nc is then closed unanswered).
func answerEach(nc net.Conn, answer func(raw []byte) (hl7.AckCode, error)) {
	defer nc.Close()
	r := hl7.NewReader(nc, 0)
	for {
		raw, err := r.ReadMessage()
		if err != nil {
			return
		}
		h, err := hl7.ParseHeader(raw)
		if err != nil {
			return
		}
		code, err := answer(raw)
		if err != nil {
			return
		}
		ack := hl7.Ack{Code: code, Original: h, ControlID: h.ControlID, Time: time.Now()}
		if err := hl7.WriteFrame(nc, ack.Bytes()); err != nil {
			return
		}
	}
}

// sqliteCommits commits one tiny row per transaction, one after another,
// for about d, and returns commits per second.
func sqliteCommits(ctx context.Context, path string, d time.Duration) (float64, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)&_pragma=synchronous(FULL)&_pragma=journal_mode(WAL)")
	if err != nil {
		return 0, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS c (id INTEGER PRIMARY KEY, at INTEGER)`); err != nil {
		return 0, err
	}
	var mode string
	if err := db.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		return 0, fmt.Errorf("journal_mode %q, %v", mode, err)
	}
	n, start := 0, time.Now()
	for ; time.Since(start) < d; n++ {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return 0, err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO c (at) VALUES (?)`, time.Now().UnixNano()); err != nil {
			tx.Rollback()
			return 0, err
		}
		if err := tx.Commit(); err != nil {
			return 0, err
		}
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

// fileSyncs creates small files one after another in dir for about d —
// create, write 4 KiB, fsync, close — and returns files per second.
func fileSyncs(dir string, d time.Duration) (float64, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return 0, err
	}
	buf := make([]byte, 4096)
	n, start := 0, time.Now()
	for ; time.Since(start) < d; n++ {
		f, err := os.OpenFile(filepath.Join(dir, fmt.Sprintf("f-%06d", n)), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			return 0, err
		}
		_, werr := f.Write(buf)
		serr := f.Sync()
		if err := errors.Join(werr, serr, f.Close()); err != nil {
			return 0, err
		}
	}
	return float64(n) / time.Since(start).Seconds(), nil
}
