package audit

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// archiveOf writes records rs (a segment of a chain) as an archive.
func archiveOf(t testing.TB, rs []Record, prev string) []byte {
	t.Helper()
	h := ArchiveHeader{First: rs[0].Seq, Prev: prev, Last: rs[len(rs)-1].Seq, LastHash: rs[len(rs)-1].Hash,
		Count: int64(len(rs)), Before: t0, Created: t0}
	var buf bytes.Buffer
	if err := WriteArchive(&buf, h, seq(rs)); err != nil {
		t.Fatalf("WriteArchive: %v", err)
	}
	return buf.Bytes()
}

func TestArchiveRoundTrip(t *testing.T) {
	rs := chain(9)
	b := archiveOf(t, rs[3:], rs[2].Hash)
	h, records, err := ReadArchive(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("ReadArchive: %v", err)
	}
	if got, want := h.First, int64(4); got != want {
		t.Errorf("First = %d, want %d", got, want)
	}
	var got []Record
	for r, err := range records {
		if err != nil {
			t.Fatalf("records: %v", err)
		}
		got = append(got, r)
	}
	if diff := cmp.Diff(rs[3:], got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	_, res, err := VerifyArchive(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("VerifyArchive: %v", err)
	}
	if got, want := res.Records, int64(6); got != want {
		t.Errorf("Records = %d, want %d", got, want)
	}
}

func TestVerifyArchive(t *testing.T) {
	rs := chain(6)
	good := string(archiveOf(t, rs, ZeroHash))
	lines := strings.SplitAfter(good, "\n")
	tests := []struct {
		name    string
		file    string
		problem Problem // "" with wantErr: not a *Break
		wantErr bool
	}{
		{"intact", good, "", false},
		{"record edited", strings.Replace(good, `"step 2"`, `"step 9"`, 1), Modified, true},
		{"record deleted", lines[0] + lines[1] + lines[2] + lines[4] + lines[5] + lines[6], Deleted, true},
		{"last record deleted", strings.Join(lines[:6], ""), Deleted, true},
		{"records swapped", lines[0] + lines[1] + lines[3] + lines[2] + lines[4] + lines[5] + lines[6], Reordered, true},
		{"header count", strings.Replace(good, `"count":6`, `"count":7`, 1), Deleted, true},
		{"not an archive", `{"archive":"zip"}` + "\n", "", true},
		{"empty", "", "", true},
		{"garbage line", lines[0] + "{]\n", "", true},
		{"unknown field", lines[0] + `{"seq":1,"evil":true}` + "\n", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := VerifyArchive(strings.NewReader(tt.file))
			if got := err != nil; got != tt.wantErr {
				t.Fatalf("VerifyArchive error = %v, want error %v", err, tt.wantErr)
			}
			var b *Break
			if got := errors.As(err, &b); got != (tt.problem != "") {
				t.Fatalf("VerifyArchive error = %v (a *Break: %v), want problem %q", err, got, tt.problem)
			}
			if b != nil && b.Problem != tt.problem {
				t.Errorf("Problem = %s, want %s (%s)", b.Problem, tt.problem, b.Msg)
			}
		})
	}
}

// FuzzReadArchive feeds arbitrary bytes to the archive reader: it must
// never panic, and whatever it reads must survive a write and read again.
func FuzzReadArchive(f *testing.F) {
	rs := chain(4)
	f.Add(archiveOf(f, rs, ZeroHash))
	f.Add(archiveOf(f, rs[2:], rs[1].Hash))
	f.Add([]byte(`{"archive":"docbridge-audit-archive/1","first":1}` + "\n" + `{"seq":1,"at":"2026-01-01T00:00:00Z","kind":"admin","actor":"x","hash":""}`))
	f.Add([]byte("\n\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, records, err := ReadArchive(bytes.NewReader(b))
		if err != nil {
			return
		}
		var got []Record
		for r, err := range records {
			if err != nil {
				break
			}
			got = append(got, r)
		}
		VerifyArchive(bytes.NewReader(b))
		var buf bytes.Buffer
		if err := WriteArchive(&buf, h, seq(got)); err != nil {
			t.Fatalf("WriteArchive of what was read: %v", err)
		}
		_, again, err := ReadArchive(&buf)
		if err != nil {
			t.Fatalf("ReadArchive of a written archive: %v", err)
		}
		n := 0
		for r, err := range again {
			if err != nil {
				t.Fatalf("record %d of a written archive: %v", n, err)
			}
			if HashOf(&r) != HashOf(&got[n]) {
				t.Fatalf("record %d changed its hash through a write and read", n)
			}
			n++
		}
		if n != len(got) {
			t.Fatalf("read %d records back, wrote %d", n, len(got))
		}
	})
}
