package audit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"time"
)

// ArchiveFormat is the value of the "archive" field of an archive header.
const ArchiveFormat = "docbridge-audit-archive/1"

// maxLine bounds one line of an archive file.
const maxLine = 4 << 20

// ArchiveHeader is the first line of an archive file. The file then holds
// Count records, one JSON object (Record's JSON) per line, from sequence
// number First to Last; the first record links to Prev, the last one has
// hash LastHash.
type ArchiveHeader struct {
	Archive  string    `json:"archive"` // ArchiveFormat
	First    int64     `json:"first"`
	Prev     string    `json:"prev"` // hash of record First-1 (ZeroHash when First is 1)
	Last     int64     `json:"last"`
	LastHash string    `json:"lastHash"`
	Count    int64     `json:"count"`
	Before   time.Time `json:"before"`  // records recorded before this time were archived
	Created  time.Time `json:"created"` // when the archive was written
}

// WriteArchive writes h and then records to w, one JSON line each. It
// does not check the chain; VerifyArchive does. It returns the first write
// or iterator error.
func WriteArchive(w io.Writer, h ArchiveHeader, records iter.Seq2[Record, error]) error {
	h.Archive = ArchiveFormat
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(h); err != nil {
		return fmt.Errorf("write archive header: %w", err)
	}
	for r, err := range records {
		if err != nil {
			return fmt.Errorf("read records to archive: %w", err)
		}
		if err := enc.Encode(r); err != nil {
			return fmt.Errorf("write archived record %d: %w", r.Seq, err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write archive: %w", err)
	}
	return nil
}

// ReadArchive reads an archive's header and returns it with an iterator
// over its records. The iterator yields an error (and stops) on a line
// that is not a record; unknown fields are errors. ReadArchive returns an
// error when the header is missing or not an archive header.
func ReadArchive(r io.Reader) (ArchiveHeader, iter.Seq2[Record, error], error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	if !sc.Scan() {
		if err := sc.Err(); err != nil {
			return ArchiveHeader{}, nil, fmt.Errorf("read archive header: %w", err)
		}
		return ArchiveHeader{}, nil, errors.New("read archive header: the file is empty")
	}
	var h ArchiveHeader
	if err := decodeStrict(sc.Bytes(), &h); err != nil {
		return ArchiveHeader{}, nil, fmt.Errorf("read archive header: %w", err)
	}
	if h.Archive != ArchiveFormat {
		return ArchiveHeader{}, nil, fmt.Errorf("read archive header: format %q is not %s", h.Archive, ArchiveFormat)
	}
	records := func(yield func(Record, error) bool) {
		line := 1
		for sc.Scan() {
			line++
			var rec Record
			if err := decodeStrict(sc.Bytes(), &rec); err != nil {
				yield(Record{}, fmt.Errorf("archive line %d: %w", line, err))
				return
			}
			if !yield(rec, nil) {
				return
			}
		}
		if err := sc.Err(); err != nil {
			yield(Record{}, fmt.Errorf("archive line %d: %w", line+1, err))
		}
	}
	return h, records, nil
}

// decodeStrict decodes one JSON value that must be alone on its line.
func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("more than one JSON value on the line")
	}
	return nil
}

// VerifyArchive verifies the chain in an archive file: it must start after
// the header's First-1/Prev, and end at Last/LastHash with Count records.
// It returns the anchors it checked, a *Break for a broken chain, or
// another error for a file that cannot be read.
func VerifyArchive(r io.Reader) (ArchiveHeader, Result, error) {
	h, records, err := ReadArchive(r)
	if err != nil {
		return h, Result{}, err
	}
	from := Anchor{Seq: h.First - 1, Hash: h.Prev}
	res, err := Verify(records, VerifyOptions{From: &from, Head: &Anchor{Seq: h.Last, Hash: h.LastHash}})
	if err != nil {
		return h, res, err
	}
	if res.Checkpoint {
		return h, res, breakf(res.From.Seq, BadCheckpoint, "the archive holds a checkpoint: archives hold records only")
	}
	if res.Records != h.Count {
		return h, res, breakf(res.Last.Seq, Deleted, "the archive holds %d records, its header says %d", res.Records, h.Count)
	}
	return h, res, nil
}
