package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/convert"
	"github.com/docbridge/docbridge/hl7"
	"github.com/docbridge/docbridge/mappings"
)

// mllpFloor serves MLLP with only the work an AA cannot go without under
// the README's acknowledgement contract (AA: durably stored and its
// content not refused): de-frame, convert with docbridge's converter (the
// HL7 v2 message and the CDA inside it: an AE needs it), SHA-256 of the
// message, and one row holding the message committed through a group
// commit (WAL, synchronous=FULL, one writer connection: docbridge's store
// on SQLite) before the answer. With convert false it is the durable echo:
// the same without the conversion (the store alone).
type mllpFloor struct {
	conv    *convert.Converter // nil: the durable echo
	commits *groupCommit
}

// runMLLPFloor runs the MLLP load of run against an mllpFloor whose
// database is in dir.
func runMLLPFloor(ctx context.Context, dir string, withConvert bool, t *templates, run, conns, perConn int) (mllpResult, error) {
	name := "mllp-durable-echo.db"
	if withConvert {
		name = "mllp-floor.db"
	}
	db, err := openFloorDB(ctx, filepath.Join(dir, name))
	if err != nil {
		return mllpResult{}, err
	}
	var count atomic.Int64
	f := &mllpFloor{commits: newGroupCommit(db, &count)}
	defer f.commits.close()
	if withConvert {
		maps, err := mappings.Load("")
		if err != nil {
			return mllpResult{}, err
		}
		f.conv = convert.New(convert.Options{Mappings: maps})
	}
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
			wg.Go(func() { f.serve(ctx, nc) })
		}
	})
	// Control ids of their own (run+200, +300): the same text otherwise.
	offset := 200
	if withConvert {
		offset = 300
	}
	res, _, err := runMLLP(ln.Addr().String(), t, run+offset, conns, perConn)
	return res, err
}

// serve answers each message of nc once it is stored, until nc closes.
func (f *mllpFloor) serve(ctx context.Context, nc net.Conn) {
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
		code := hl7.AA
		if f.conv != nil {
			if !f.accepts(raw) {
				code = hl7.AE
			}
		}
		sum := sha256.Sum256(raw)
		if err := f.commits.add(ctx, hex.EncodeToString(sum[:])+"\n"+string(raw), 0); err != nil {
			return
		}
		ack := hl7.Ack{Code: code, Original: h, ControlID: h.ControlID, Time: time.Now()}
		if err := hl7.WriteFrame(nc, ack.Bytes()); err != nil {
			return
		}
	}
}

// accepts reports whether the converter takes raw: it converts and none of
// its documents is refused.
func (f *mllpFloor) accepts(raw []byte) bool {
	_, docs, err := f.conv.Convert(bytes.NewReader(raw), int64(len(raw)), docbridge.Origin{Intake: "mllp"})
	if err != nil {
		return false
	}
	for _, d := range docs {
		if pr := d.Worst(); pr != nil && pr.Code.State() == docbridge.Failed {
			return false
		}
	}
	return true
}
