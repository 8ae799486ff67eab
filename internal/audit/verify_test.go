package audit

import (
	"errors"
	"slices"
	"testing"
)

// renumber sets Seq to 1, 2, 3, … from the first record's Seq.
func renumber(rs []Record) []Record {
	for i := range rs {
		rs[i].Seq = rs[0].Seq + int64(i)
	}
	return rs
}

func TestVerify(t *testing.T) {
	const n = 12
	tests := []struct {
		name    string
		tamper  func(rs []Record) ([]Record, *Anchor) // records as stored, and the head (nil: the original head)
		from    *Anchor
		want    Problem // "" for an intact chain
		wantSeq int64
	}{
		{"intact", func(rs []Record) ([]Record, *Anchor) { return rs, nil }, nil, "", 0},
		{"modified message", func(rs []Record) ([]Record, *Anchor) {
			rs[4].Message = "nothing happened"
			return rs, nil
		}, nil, Modified, 5},
		{"modified time", func(rs []Record) ([]Record, *Anchor) {
			rs[6].At = rs[6].At.Add(1)
			return rs, nil
		}, nil, Modified, 7},
		{"modified prev hash", func(rs []Record) ([]Record, *Anchor) {
			rs[4].PrevHash = ZeroHash
			return rs, nil
		}, nil, Modified, 5},
		{"modified and rehashed", func(rs []Record) ([]Record, *Anchor) {
			rs[4].Message = "x"
			rs[4].Hash = HashOf(&rs[4])
			return rs, nil
		}, nil, Deleted, 6}, // record 5 replaced: record 6 names what is gone
		{"deleted", func(rs []Record) ([]Record, *Anchor) {
			return slices.Delete(rs, 4, 5), nil
		}, nil, Deleted, 5},
		{"deleted three", func(rs []Record) ([]Record, *Anchor) {
			return slices.Delete(rs, 4, 7), nil
		}, nil, Deleted, 5},
		{"deleted and renumbered", func(rs []Record) ([]Record, *Anchor) {
			return renumber(slices.Delete(rs, 4, 5)), nil
		}, nil, Deleted, 5},
		{"deleted the last", func(rs []Record) ([]Record, *Anchor) {
			return rs[:n-1], nil
		}, nil, Deleted, n},
		{"deleted all", func(rs []Record) ([]Record, *Anchor) {
			return nil, nil
		}, nil, Deleted, 1},
		{"inserted, chained", func(rs []Record) ([]Record, *Anchor) {
			x := Record{At: rs[3].At, Kind: Admin, Actor: "user:eve", Message: "inserted"}
			Seal(&x, rs[3].Seq, rs[3].Hash)
			return renumber(slices.Insert(rs, 4, x)), nil
		}, nil, Inserted, 5},
		{"inserted, not chained", func(rs []Record) ([]Record, *Anchor) {
			x := Record{At: rs[3].At, Kind: Admin, Actor: "user:eve", Message: "inserted"}
			Seal(&x, 4, "feed")
			return renumber(slices.Insert(rs, 4, x)), nil
		}, nil, Inserted, 5},
		{"inserted, a copy", func(rs []Record) ([]Record, *Anchor) {
			return renumber(slices.Insert(rs, 4, rs[2])), nil
		}, nil, Inserted, 5},
		{"appended after the head", func(rs []Record) ([]Record, *Anchor) {
			x := Record{At: rs[n-1].At, Kind: Admin, Actor: "user:eve"}
			Seal(&x, rs[n-1].Seq, rs[n-1].Hash)
			return append(rs, x), nil
		}, nil, Inserted, n + 1},
		{"reordered: two swapped", func(rs []Record) ([]Record, *Anchor) {
			rs[4], rs[5] = rs[5], rs[4]
			return renumber(rs), nil
		}, nil, Reordered, 5},
		{"reordered: one moved later", func(rs []Record) ([]Record, *Anchor) {
			x := rs[4]
			rs = slices.Delete(rs, 4, 5)
			return renumber(slices.Insert(rs, 7, x)), nil
		}, nil, Reordered, 5},
		{"reordered: one moved earlier", func(rs []Record) ([]Record, *Anchor) {
			x := rs[8]
			rs = slices.Delete(rs, 8, 9)
			return renumber(slices.Insert(rs, 2, x)), nil
		}, nil, Reordered, 3},
		{"renumbered", func(rs []Record) ([]Record, *Anchor) {
			for i := 6; i < n; i++ {
				rs[i].Seq += 100
			}
			return rs, &Anchor{rs[n-1].Seq, rs[n-1].Hash}
		}, nil, Renumbered, 107},
		{"checkpoint in the middle", func(rs []Record) ([]Record, *Anchor) {
			rs[5] = Record{Seq: 6, Kind: Checkpoint, Hash: rs[5].Hash}
			return rs, nil
		}, nil, Inserted, 6},
		{"from a checkpoint", func(rs []Record) ([]Record, *Anchor) {
			cp := Record{Seq: 4, Kind: Checkpoint, Archived: 4, Hash: rs[3].Hash}
			return append([]Record{cp}, rs[4:]...), nil
		}, nil, "", 0},
		{"checkpoint continues the archive", func(rs []Record) ([]Record, *Anchor) {
			cp := Record{Seq: 4, Kind: Checkpoint, Archived: 4, Hash: rs[3].Hash}
			return append([]Record{cp}, rs[4:]...), nil
		}, &Anchor{4, chain(4)[3].Hash}, "", 0},
		{"checkpoint does not continue the archive", func(rs []Record) ([]Record, *Anchor) {
			cp := Record{Seq: 4, Kind: Checkpoint, Archived: 4, Hash: rs[3].Hash}
			return append([]Record{cp}, rs[4:]...), nil
		}, &Anchor{3, chain(3)[2].Hash}, BadCheckpoint, 4},
		{"checkpoint moved", func(rs []Record) ([]Record, *Anchor) {
			cp := Record{Seq: 6, Kind: Checkpoint, Archived: 6, Hash: rs[5].Hash}
			return append([]Record{cp}, rs[4:]...), nil
		}, nil, Inserted, 5}, // the records the checkpoint says are archived are there
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			orig := chain(n)
			rs, h := tt.tamper(slices.Clone(orig))
			if h == nil {
				h = head(orig)
			}
			res, err := Verify(seq(rs), VerifyOptions{From: tt.from, Head: h})
			var b *Break
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Verify: %v, want an intact chain", err)
			case tt.want == "":
				if got, want := res.Last, *head(orig); got != want {
					t.Errorf("Last = %+v, want %+v", got, want)
				}
				return
			case !errors.As(err, &b):
				t.Fatalf("Verify error = %v, want a *Break", err)
			}
			if got, want := b.Problem, tt.want; got != want {
				t.Errorf("Problem = %s, want %s (%s)", got, want, b.Msg)
			}
			if got, want := b.Seq, tt.wantSeq; got != want {
				t.Errorf("Seq = %d, want %d (%s)", got, want, b.Msg)
			}
		})
	}
}

func TestVerifyIteratorError(t *testing.T) {
	boom := errors.New("disk on fire")
	records := func(yield func(Record, error) bool) {
		for _, r := range chain(3) {
			if !yield(r, nil) {
				return
			}
		}
		yield(Record{}, boom)
	}
	if _, err := Verify(records, VerifyOptions{}); !errors.Is(err, boom) {
		t.Errorf("Verify error = %v, want %v", err, boom)
	}
}
