package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net"
	"path/filepath"
	"sync/atomic"

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
	// Control ids of their own (run+200, +300): the same text otherwise.
	offset := 200
	if withConvert {
		offset = 300
	}
	serve := func(nc net.Conn) {
		answerEach(nc, func(raw []byte) (hl7.AckCode, error) { return f.answer(ctx, raw) })
	}
	return runAgainst(serve, t, run+offset, conns, perConn)
}

// answer stores raw (one row, group commit) and returns its code: AE when
// the converter refuses it (the floor), AA otherwise.
func (f *mllpFloor) answer(ctx context.Context, raw []byte) (hl7.AckCode, error) {
	code := hl7.AA
	if f.conv != nil && !f.accepts(raw) {
		code = hl7.AE
	}
	sum := sha256.Sum256(raw)
	return code, f.commits.add(ctx, hex.EncodeToString(sum[:])+"\n"+string(raw), 0)
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
