package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/google/go-cmp/cmp"
)

func testAccept(t *testing.T, open opener) {
	ctx := context.Background()
	clk := newClock()
	s := open(t, Options{Now: clk.Now})
	body := []byte("MSH|^~\\&|LAB|...")
	paris := time.FixedZone("CET", 3600)
	received := time.Date(2026, 1, 2, 3, 4, 5, 6, paris)

	e := envelope(body)
	e.ReceivedAt = received
	a, err := acceptInput(ctx, s, e)
	if err != nil {
		t.Fatalf("Accept: %v", err)
	}
	want := docbridge.Accepted{ID: a.ID, SHA256: hexSHA256(body), Size: int64(len(body)), State: docbridge.Received}
	if diff := cmp.Diff(want, a); diff != "" || a.ID == 0 {
		t.Errorf("Accept (-want +got):\n%s (id %d)", diff, a.ID)
	}
	in, err := s.Input(ctx, a.ID)
	if err != nil {
		t.Fatalf("Input: %v", err)
	}
	wantIn := Input{ID: a.ID, Intake: "drop", Source: "in/a.xml", MessageID: "MSG1", SHA256: a.SHA256,
		Size: a.Size, ReceivedAt: received.UTC(), State: docbridge.Received}
	if diff := cmp.Diff(wantIn, in); diff != "" {
		t.Errorf("Input (-want +got):\n%s", diff)
	}
	if got, err := s.ReadContent(a.SHA256); err != nil || !bytes.Equal(got, body) {
		t.Errorf("ReadContent = %q, %v; want %q", got, err, body)
	}

	// The same bytes again, from another intake: the same input.
	e2 := envelope(body)
	e2.Intake = "mllp"
	dup, err := acceptInput(ctx, s, e2)
	if err != nil {
		t.Fatalf("Accept again: %v", err)
	}
	want.Duplicate = true
	if diff := cmp.Diff(want, dup); diff != "" {
		t.Errorf("Accept again (-want +got):\n%s", diff)
	}

	// Other bytes, no ReceivedAt: a new input received now.
	b := accept(t, s, []byte("other"))
	if b.ID == a.ID || b.Duplicate {
		t.Errorf("Accept(other) = %+v, want a new input", b)
	}
	pending, err := s.PendingInputs(ctx, 0)
	if err != nil {
		t.Fatalf("PendingInputs: %v", err)
	}
	if got, want := ids(pending), []int64{a.ID, b.ID}; !cmp.Equal(got, want) {
		t.Errorf("PendingInputs ids = %v, want %v", got, want)
	}
	if got, want := pending[1].ReceivedAt, clk.Now(); !got.Equal(want) || got.Location() != time.UTC {
		t.Errorf("ReceivedAt = %v, want %v in UTC", got, want)
	}
	if p, _ := s.PendingInputs(ctx, 1); len(p) != 1 || p[0].ID != a.ID {
		t.Errorf("PendingInputs(1) = %v, want only input %d", ids(p), a.ID)
	}
	if got, err := s.InputBySHA256(ctx, a.SHA256); err != nil || got.ID != a.ID {
		t.Errorf("InputBySHA256 = %d, %v; want %d", got.ID, err, a.ID)
	}
	if _, err := s.InputBySHA256(ctx, hexSHA256([]byte("never"))); !errors.Is(err, ErrNotFound) {
		t.Errorf("InputBySHA256(unknown) error = %v, want ErrNotFound", err)
	}
	if _, err := s.Input(ctx, 999); !errors.Is(err, ErrNotFound) {
		t.Errorf("Input(999) error = %v, want ErrNotFound", err)
	}
}

func ids(in []Input) []int64 {
	var out []int64
	for _, i := range in {
		out = append(out, i.ID)
	}
	return out
}

func testAcceptTooLarge(t *testing.T, open opener) {
	const limit = 1024
	tests := []struct {
		name string
		size int
		ok   bool
	}{
		{"empty", 0, true},
		{"at the limit", limit, true},
		{"one over", limit + 1, false},
		{"far over", 10 * limit, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t, Options{MaxInputSize: limit})
			a, err := acceptInput(context.Background(), s, envelope(bytes.Repeat([]byte{'x'}, tc.size)))
			if tc.ok {
				if err != nil || a.Size != int64(tc.size) {
					t.Fatalf("Accept = %+v, %v; want size %d", a, err, tc.size)
				}
				return
			}
			if got := docbridge.ReasonOf(err); got != docbridge.TooLarge {
				t.Errorf("ReasonOf(Accept error %v) = %q, want %q", err, got, docbridge.TooLarge)
			}
			for _, name := range files(t, s.dir) { // only the database and its WAL may exist
				if !strings.HasPrefix(name, dbFile) {
					t.Errorf("file %s left behind", name)
				}
			}
			if p, _ := s.PendingInputs(context.Background(), 0); len(p) != 0 {
				t.Errorf("PendingInputs = %v, want none", ids(p))
			}
		})
	}
}

// failingReader returns n bytes, then an error.
type failingReader struct{ n int }

var errBroken = errors.New("connection reset")

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, errBroken
	}
	n := min(len(p), r.n)
	r.n -= n
	return n, nil
}

func testAcceptReadError(t *testing.T, open opener) {
	s := open(t, Options{})
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		ctx  context.Context
		body io.Reader
		want error
	}{
		{"body fails", context.Background(), &failingReader{n: 100 << 10}, errBroken},
		{"context cancelled", cancelled, strings.NewReader("abc"), context.Canceled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := acceptInput(tc.ctx, s, &docbridge.Envelope{Intake: "drop", Body: tc.body})
			if !errors.Is(err, tc.want) || docbridge.ReasonOf(err) != docbridge.Internal {
				t.Errorf("Accept error = %v (reason %q), want %v with reason internal", err, docbridge.ReasonOf(err), tc.want)
			}
			if f := files(t, filepath.Join(s.dir, tmpDir)); len(f) != 0 {
				t.Errorf("tmp holds %v, want nothing", f)
			}
		})
	}
}

func testAcceptConcurrent(t *testing.T, open opener) {
	s := open(t, Options{})
	const n = 16
	var wg sync.WaitGroup
	res := make([]docbridge.Accepted, 2*n)
	errs := make([]error, 2*n)
	for i := range 2 * n {
		wg.Go(func() {
			body := []byte("same bytes")
			if i >= n {
				body = fmt.Appendf(nil, "distinct %d", i)
			}
			res[i], errs[i] = acceptInput(context.Background(), s, envelope(body))
		})
	}
	wg.Wait()
	fresh := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("Accept %d: %v", i, errs[i])
		}
		if res[i].ID != res[0].ID {
			t.Errorf("Accept %d: id %d, want %d", i, res[i].ID, res[0].ID)
		}
		if !res[i].Duplicate {
			fresh++
		}
	}
	if fresh != 1 {
		t.Errorf("%d of %d concurrent Accepts of the same bytes were not duplicates, want 1", fresh, n)
	}
	p, err := s.PendingInputs(context.Background(), 0)
	if err != nil || len(p) != n+1 {
		t.Errorf("PendingInputs = %d inputs, %v; want %d", len(p), err, n+1)
	}
}

func testContentDedup(t *testing.T, open opener) {
	s := open(t, Options{})
	body := "the same raw bytes"
	a := accept(t, s, []byte(body))
	if b := accept(t, s, []byte(body)); !b.Duplicate || b.ID != a.ID {
		t.Errorf("second Accept = %+v, want duplicate of %d", b, a.ID)
	}
	// Two documents with the same content (and one equal to the input).
	_, refs := converted(t, s, "another input",
		NewDocument{Doc: newDoc("urn:oid:1.2.3.1", "shared content"), State: docbridge.Converted},
		NewDocument{Doc: newDoc("urn:oid:1.2.3.2", "shared content"), State: docbridge.Converted},
		NewDocument{Doc: newDoc("urn:oid:1.2.3.3", body), State: docbridge.Converted})
	if refs[0].ID == refs[1].ID || refs[1].Existing {
		t.Errorf("refs = %+v, want two rows", refs)
	}
	// All three are small: stored once each inside the database, no file.
	want := []string{hexSHA256([]byte(body)), hexSHA256([]byte("another input")), hexSHA256([]byte("shared content"))}
	if diff := cmp.Diff(want, inlineContents(t, s), sortStrings); diff != "" {
		t.Errorf("inline contents (-want +got):\n%s", diff)
	}
	if got := files(t, filepath.Join(s.dir, contentDir)); len(got) != 0 {
		t.Errorf("content files = %q, want none (all inline)", got)
	}
}

func testContent(t *testing.T, open opener) {
	s := open(t, Options{})
	a := accept(t, s, []byte("hello"))
	rc, err := s.OpenContent(strings.ToUpper(a.SHA256))
	if err != nil {
		t.Fatalf("OpenContent: %v", err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || string(got) != "hello" {
		t.Errorf("OpenContent read %q, %v; want hello", got, err)
	}
	missing := hexSHA256([]byte("never stored"))
	if _, err := s.OpenContent(missing); !errors.Is(err, ErrNotFound) {
		t.Errorf("OpenContent(missing) error = %v, want ErrNotFound", err)
	}
	if _, err := s.ReadContent(missing); !errors.Is(err, ErrNotFound) {
		t.Errorf("ReadContent(missing) error = %v, want ErrNotFound", err)
	}
	for _, bad := range []string{"", "../../docbridge.db", strings.Repeat("g", 64), "/etc/passwd", a.SHA256[:63]} {
		if _, err := s.OpenContent(bad); err == nil || errors.Is(err, ErrNotFound) {
			t.Errorf("OpenContent(%q) error = %v, want an invalid-hash error", bad, err)
		}
	}
}

func testFailInput(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t, Options{})
	a := accept(t, s, []byte("garbage"))
	if err := s.FailInput(ctx, a.ID, docbridge.UnsupportedFormat, "no converter recognises it"); err != nil {
		t.Fatalf("FailInput: %v", err)
	}
	// Again, with another reason: nothing changes.
	if err := s.FailInput(ctx, a.ID, docbridge.Malformed, "other"); err != nil {
		t.Fatalf("FailInput again: %v", err)
	}
	in, _ := s.Input(ctx, a.ID)
	if in.State != docbridge.Failed || in.Reason != docbridge.UnsupportedFormat || in.Message != "no converter recognises it" {
		t.Errorf("Input = %+v, want failed, unsupported-format", in)
	}
	if p, _ := s.PendingInputs(ctx, 0); len(p) != 0 {
		t.Errorf("PendingInputs = %v, want none", ids(p))
	}
	convID, _ := converted(t, s, "good input")
	tests := []struct {
		name   string
		id     int64
		reason docbridge.Reason
		want   error
	}{
		{"converted input", convID, docbridge.Malformed, ErrConflict},
		{"unknown input", 999, docbridge.Malformed, ErrNotFound},
	}
	for _, tc := range tests {
		if err := s.FailInput(ctx, tc.id, tc.reason, "x"); !errors.Is(err, tc.want) {
			t.Errorf("%s: FailInput error = %v, want %v", tc.name, err, tc.want)
		}
	}
	if err := s.FailInput(ctx, accept(t, s, []byte("x")).ID, "", "x"); err == nil {
		t.Errorf("FailInput without a reason: no error")
	}
}

func testAcceptSidecar(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t, Options{})
	sidecar := []byte(`{"type": {"code": "11502-2"}}`)
	withSidecar := func(body string, sc []byte) *docbridge.Envelope {
		e := envelope([]byte(body))
		e.Sidecar = sc
		return e
	}
	a, err := acceptInput(ctx, s, withSidecar("%PDF-1.7 a", sidecar))
	if err != nil {
		t.Fatalf("Accept: %v", err)
	}
	tests := []struct {
		name string
		body string
		sc   []byte
		want []byte
	}{
		{"none", "%PDF-1.7 b", nil, nil},
		{"empty", "%PDF-1.7 c", []byte{}, nil},
		{"at the limit", "%PDF-1.7 d", bytes.Repeat([]byte{'x'}, docbridge.MaxSidecar), bytes.Repeat([]byte{'x'}, docbridge.MaxSidecar)},
		{"binary", "%PDF-1.7 e", []byte{0, 0xff, '?', '\''}, []byte{0, 0xff, '?', '\''}},
	}
	for _, tc := range tests {
		b, err := acceptInput(ctx, s, withSidecar(tc.body, tc.sc))
		if err != nil {
			t.Fatalf("%s: Accept: %v", tc.name, err)
		}
		in, err := s.Input(ctx, b.ID)
		if err != nil || !bytes.Equal(in.Sidecar, tc.want) || (in.Sidecar == nil) != (tc.want == nil) {
			t.Errorf("%s: Input.Sidecar = %d bytes (%v), want %d bytes", tc.name, len(in.Sidecar), err, len(tc.want))
		}
	}

	// The same bytes with the same sidecar: a duplicate. With another
	// sidecar, or none: a new input, each with its own sidecar.
	dup, err := acceptInput(ctx, s, withSidecar("%PDF-1.7 a", sidecar))
	if err != nil || !dup.Duplicate || dup.ID != a.ID {
		t.Fatalf("Accept(same bytes, same sidecar) = %+v, %v; want a duplicate of %d", dup, err, a.ID)
	}
	for _, sc := range [][]byte{[]byte(`{"other": true}`), nil} {
		other, err := acceptInput(ctx, s, withSidecar("%PDF-1.7 a", sc))
		if err != nil || other.Duplicate || other.ID == a.ID {
			t.Fatalf("Accept(same bytes, sidecar %q) = %+v, %v; want a new input", sc, other, err)
		}
		in, _ := s.Input(ctx, other.ID)
		if !bytes.Equal(in.Sidecar, sc) {
			t.Errorf("Input(%d).Sidecar = %q, want %q", other.ID, in.Sidecar, sc)
		}
		again, err := acceptInput(ctx, s, withSidecar("%PDF-1.7 a", sc))
		if err != nil || !again.Duplicate || again.ID != other.ID {
			t.Errorf("Accept(same bytes, sidecar %q) again = %+v, %v; want a duplicate of %d", sc, again, err, other.ID)
		}
	}
	pending, err := s.PendingInputs(ctx, 1)
	if err != nil || len(pending) != 1 || !bytes.Equal(pending[0].Sidecar, sidecar) {
		t.Errorf("PendingInputs(1) = %+v, %v; want input %d with its first sidecar", pending, err, a.ID)
	}
	claimed, err := s.ClaimInputs(ctx, time.Now(), time.Minute, 1)
	if err != nil || len(claimed) != 1 || !bytes.Equal(claimed[0].Sidecar, sidecar) {
		t.Errorf("ClaimInputs(1) = %+v, %v; want input %d with its sidecar", claimed, err, a.ID)
	}

	// Over the limit: refused, nothing left behind.
	before := files(t, s.dir)
	_, err = acceptInput(ctx, s, withSidecar("%PDF-1.7 too big", make([]byte, docbridge.MaxSidecar+1)))
	if got := docbridge.ReasonOf(err); got != docbridge.TooLarge {
		t.Errorf("ReasonOf(Accept with a big sidecar: %v) = %q, want %q", err, got, docbridge.TooLarge)
	}
	if after := files(t, s.dir); !cmp.Equal(before, after, sortStrings) {
		t.Errorf("a refused sidecar left files: %v, before %v", after, before)
	}
	if _, err := s.InputBySHA256(ctx, hexSHA256([]byte("%PDF-1.7 too big"))); !errors.Is(err, ErrNotFound) {
		t.Errorf("InputBySHA256(refused input) error = %v, want ErrNotFound", err)
	}
}

func testClaimInputs(t *testing.T, open opener) {
	ctx := context.Background()
	clk := newClock()
	s := open(t, Options{Now: clk.Now})
	now := clk.Now()
	a, b, c := accept(t, s, []byte("a")), accept(t, s, []byte("b")), accept(t, s, []byte("c"))
	converted(t, s, "converted")
	failed := accept(t, s, []byte("failed"))
	if err := s.FailInput(ctx, failed.ID, docbridge.Malformed, "not XML"); err != nil {
		t.Fatal(err)
	}
	claim := func(now time.Time, limit int) []int64 {
		t.Helper()
		in, err := s.ClaimInputs(ctx, now, time.Minute, limit)
		if err != nil {
			t.Fatalf("ClaimInputs: %v", err)
		}
		return ids(in)
	}
	first, second, third := claim(now, 2), claim(now, 2), claim(now, 2)
	if got, want := [][]int64{first, second, third}, [][]int64{{a.ID, b.ID}, {c.ID}, nil}; !cmp.Equal(got, want) {
		t.Errorf("three ClaimInputs = %v, want %v", got, want)
	}
	if got := claim(now.Add(time.Minute-time.Nanosecond), 0); got != nil {
		t.Errorf("ClaimInputs before the lease ends = %v, want none", got)
	}
	// The lease ends: claimable again, unless converted meanwhile.
	if _, err := s.RecordConversion(ctx, b.ID, nil); err != nil {
		t.Fatal(err)
	}
	if got, want := claim(now.Add(time.Minute), 0), []int64{a.ID, c.ID}; !cmp.Equal(got, want) {
		t.Errorf("ClaimInputs after the lease = %v, want %v", got, want)
	}
	// PendingInputs ignores leases: it only reads.
	if p, _ := s.PendingInputs(ctx, 0); !cmp.Equal(ids(p), []int64{a.ID, c.ID}) {
		t.Errorf("PendingInputs = %v, want [%d %d]", ids(p), a.ID, c.ID)
	}
	in, err := s.ClaimInputs(ctx, now.Add(time.Hour), time.Minute, 1)
	if err != nil || len(in) != 1 {
		t.Fatalf("ClaimInputs = %v, %v", in, err)
	}
	if want, _ := s.Input(ctx, a.ID); !cmp.Equal(in[0], want) {
		t.Errorf("claimed input differs from the stored one (-claimed +stored):\n%s", cmp.Diff(in[0], want))
	}
	if _, err := s.ClaimInputs(ctx, now, 0, 1); err == nil {
		t.Errorf("ClaimInputs with no lease: no error")
	}
}
