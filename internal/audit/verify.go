package audit

import (
	"fmt"
	"iter"
)

// Anchor names a record of a chain by its sequence number and hash: the
// record a chain segment continues from. Genesis is the anchor of a whole
// chain.
type Anchor struct {
	Seq  int64
	Hash string
}

// Genesis is the anchor before the first record ever written.
var Genesis = Anchor{Seq: 0, Hash: ZeroHash}

// Problem classifies a Break.
type Problem string

// The problems Verify names.
const (
	Modified      Problem = "modified"   // a record's fields no longer match its hash
	Deleted       Problem = "deleted"    // records are missing
	Inserted      Problem = "inserted"   // a record that docbridge did not chain there
	Reordered     Problem = "reordered"  // records are out of their chain order
	Renumbered    Problem = "renumbered" // sequence numbers changed, links intact
	BadCheckpoint Problem = "checkpoint" // a checkpoint that does not continue the expected chain
)

// Break is the first place where a chain is broken. Seq is the sequence
// number of the first broken record (for Deleted: of the first missing one).
type Break struct {
	Seq     int64
	Problem Problem
	Msg     string // a sentence naming the record
}

func (b *Break) Error() string { return b.Msg }

func breakf(seq int64, p Problem, format string, args ...any) *Break {
	return &Break{Seq: seq, Problem: p, Msg: fmt.Sprintf(format, args...)}
}

// VerifyOptions says where a chain must start and end.
type VerifyOptions struct {
	// From is the anchor the first record must link to. Nil means Genesis,
	// unless the first record is a Checkpoint: then it is the anchor. When
	// From is set and the first record is a Checkpoint, the checkpoint must
	// carry From.
	From *Anchor
	// Head is what the store says the last record is; nil skips the check.
	// It detects records deleted from, or added to, the end.
	Head *Anchor
}

// Result is what Verify checked.
type Result struct {
	Records    int64  // chained records checked (the checkpoint not counted)
	From       Anchor // the anchor the chain started from
	Last       Anchor // the last record checked (From when there was none)
	Checkpoint bool   // the chain started from a checkpoint
}

// window is how many records Verify looks behind and ahead to tell an
// insertion or a reordering from a deletion.
const window = 4096

// Verify reads records in stored order and checks that each one's hash
// matches its fields, links to the one before, and is numbered one more.
// It returns a *Break for the first broken record, or an error wrapping
// the iterator's error. It holds at most 2×window records in memory.
func Verify(records iter.Seq2[Record, error], o VerifyOptions) (Result, error) {
	next, stop := iter.Pull2(records)
	defer stop()
	var ahead []Record
	read := func() (Record, bool, error) {
		if len(ahead) > 0 {
			r := ahead[0]
			ahead = ahead[1:]
			return r, true, nil
		}
		r, err, ok := next()
		return r, ok, err
	}

	res := Result{From: Genesis}
	if o.From != nil {
		res.From = *o.From
	}
	prev := res.From
	seen := newSeen()
	first := true
	for {
		r, ok, err := read()
		if err != nil {
			return res, fmt.Errorf("read audit records: %w", err)
		}
		if !ok {
			break
		}
		if r.Kind == Checkpoint {
			if !first {
				return res, breakf(r.Seq, Inserted, "record %d is a checkpoint in the middle of the chain: a checkpoint can only start it", r.Seq)
			}
			if o.From != nil && (r.Seq != o.From.Seq || r.Hash != o.From.Hash) {
				return res, breakf(r.Seq, BadCheckpoint, "the checkpoint carries record %d (hash %.12s…) but the chain before it ends at record %d (hash %.12s…)",
					r.Seq, r.Hash, o.From.Seq, o.From.Hash)
			}
			res.From, res.Checkpoint = Anchor{r.Seq, r.Hash}, true
			prev, first = res.From, false
			continue
		}
		first = false
		selfOK := HashOf(&r) == r.Hash
		if r.PrevHash == prev.Hash {
			if !selfOK {
				return res, breakf(r.Seq, Modified, "record %d was modified: its fields no longer match its hash", r.Seq)
			}
			if r.Seq != prev.Seq+1 {
				return res, breakf(r.Seq, Renumbered, "record %d follows record %d: the sequence numbers were changed", r.Seq, prev.Seq)
			}
			seen.add(prev.Hash, r.Hash, r.Seq)
			prev = Anchor{r.Seq, r.Hash}
			res.Records++
			continue
		}
		// The link is broken. A record that does not match its own hash was
		// modified; otherwise look behind and ahead to say how.
		if !selfOK {
			return res, breakf(r.Seq, Modified, "record %d was modified: its fields no longer match its hash", r.Seq)
		}
		if s, ok := seen.seq[r.Hash]; ok {
			return res, breakf(r.Seq, Inserted, "record %d was inserted: it repeats record %d", r.Seq, s)
		}
		if after, ok := seen.after[r.PrevHash]; ok {
			return res, breakf(after, Inserted, "record %d was inserted: record %d is chained directly after record %d",
				after, r.Seq, seen.seq[r.PrevHash])
		}
		for len(ahead) < window {
			x, err, ok := next()
			if err != nil {
				return res, fmt.Errorf("read audit records: %w", err)
			}
			if !ok {
				break
			}
			ahead = append(ahead, x)
		}
		successor, predLater := int64(-1), false
		for _, x := range ahead {
			if x.PrevHash == prev.Hash && successor < 0 {
				successor = x.Seq
			}
			if x.Hash == r.PrevHash {
				predLater = true
			}
		}
		switch {
		case successor >= 0 && predLater:
			return res, breakf(r.Seq, Reordered, "record %d is out of order: it was chained after a later record, and record %d is the one chained after record %d",
				r.Seq, successor, prev.Seq)
		case predLater:
			return res, breakf(r.Seq, Reordered, "record %d is out of order: the record it is chained to comes after it", r.Seq)
		case successor >= 0:
			return res, breakf(r.Seq, Inserted, "record %d was inserted: it is not chained to record %d, and record %d is", r.Seq, prev.Seq, successor)
		case r.Seq > prev.Seq+1:
			return res, breakf(prev.Seq+1, Deleted, "%s deleted: record %d is chained to a record that is no longer there",
				span(prev.Seq+1, r.Seq-1), r.Seq)
		default:
			return res, breakf(r.Seq, Deleted, "record %d is chained to a record that is no longer there: a record after record %d was deleted and the rest renumbered, or record %d was replaced",
				r.Seq, prev.Seq, prev.Seq)
		}
	}
	res.Last = prev
	if h := o.Head; h != nil && (h.Seq != prev.Seq || h.Hash != prev.Hash) {
		switch {
		case h.Seq > prev.Seq:
			return res, breakf(prev.Seq+1, Deleted, "%s deleted from the end of the chain: the last record written was %d", span(prev.Seq+1, h.Seq), h.Seq)
		case h.Seq < prev.Seq:
			return res, breakf(h.Seq+1, Inserted, "record %d was inserted after the last record written (%d)", h.Seq+1, h.Seq)
		default:
			return res, breakf(prev.Seq, Modified, "record %d was replaced: it is not the last record written", prev.Seq)
		}
	}
	return res, nil
}

// span names records a to b.
func span(a, b int64) string {
	if a == b {
		return fmt.Sprintf("record %d was", a)
	}
	return fmt.Sprintf("records %d to %d were", a, b)
}

// seenRecords remembers the last window records verified: for a hash, the
// record's seq and the seq of the record verified after it.
type seenRecords struct {
	seq   map[string]int64
	after map[string]int64
	ring  []string
	n     int
}

func newSeen() *seenRecords {
	return &seenRecords{seq: map[string]int64{}, after: map[string]int64{}, ring: make([]string, window)}
}

// add records that the record with hash h (seq seq) was verified after the
// one with hash prev.
func (s *seenRecords) add(prev, h string, seq int64) {
	s.after[prev] = seq
	if old := s.ring[s.n%window]; old != "" {
		delete(s.seq, old)
		delete(s.after, old)
	}
	s.ring[s.n%window] = h
	s.n++
	s.seq[h] = seq
}
