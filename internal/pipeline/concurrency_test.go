package pipeline

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/store"
	"github.com/docbridge/docbridge/traits"
)

// overlapSender records, while it holds each request for delay, how many
// requests are in flight at once, overall and per report (the uniqueId
// without its last arc: urn:oid:5.3.1 and urn:oid:5.3.2 are versions of
// report urn:oid:5.3), and what each report's requests were, in order. answer, when not nil, decides the
// outcome of the n-th request (from 1).
type overlapSender struct {
	delay  time.Duration
	answer func(n int) error

	mu          sync.Mutex
	n           int
	inFlight    int
	maxInFlight int
	perReport   map[string]int
	overlaps    int // requests sent while another of the same report was in flight
	wire        map[string][]string
}

func (s *overlapSender) Deliver(ctx context.Context, d *docbridge.Document, content io.Reader, _ docbridge.Pairing) (docbridge.Receipt, error) {
	io.Copy(io.Discard, content)
	s.mu.Lock()
	s.n++
	n := s.n
	s.inFlight++
	s.maxInFlight = max(s.maxInFlight, s.inFlight)
	if s.perReport == nil {
		s.perReport, s.wire = map[string]int{}, map[string][]string{}
	}
	report := d.UniqueID[:strings.LastIndexByte(d.UniqueID, '.')]
	if s.perReport[report] > 0 {
		s.overlaps++
	}
	s.perReport[report]++
	line := string(d.Action) + " " + d.UniqueID
	if d.Replaces != "" {
		line += ">" + d.Replaces
	}
	s.wire[report] = append(s.wire[report], line)
	s.mu.Unlock()
	var err error
	if s.answer != nil {
		err = s.answer(n)
	}
	if err == nil {
		select {
		case <-time.After(s.delay):
		case <-ctx.Done():
			err = docbridge.Wrap(docbridge.MESUnavailable, "no answer", ctx.Err())
		}
	}
	s.mu.Lock()
	s.inFlight--
	s.perReport[report]--
	s.mu.Unlock()
	if err != nil {
		return docbridge.Receipt{}, err
	}
	return docbridge.Receipt{MESID: "m-" + d.UniqueID, Status: 201}, nil
}

func (s *overlapSender) requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

// testINS returns the i-th valid test INS (13 digits and their check key).
func testINS(t *testing.T, i int) string {
	t.Helper()
	base := fmt.Sprintf("2850475056%03d", i)
	n, _ := strconv.ParseInt(base, 10, 64)
	ins := fmt.Sprintf("%s%02d", base, 97-n%97)
	if !traits.ValidINSKey(ins) {
		t.Fatalf("test INS %d has a wrong key", i)
	}
	return ins
}

// newConcurrentFixture is a fixture whose pipeline sends through s with
// up to concurrency requests in flight, with one pairing per patient for
// patients INS 0 … patients-1.
func newConcurrentFixture(t *testing.T, s *overlapSender, concurrency, patients int) *fixture {
	t.Helper()
	f := newFixture(t, nil)
	f.p = New(Options{
		Store: f.st, Converter: f.p.o.Converter, Checker: f.p.o.Checker, Matcher: f.p.o.Matcher,
		Sender: s, Log: f.p.o.Log, Backoff: f.p.o.Backoff, Now: f.p.o.Now, Concurrency: concurrency,
	})
	for i := range patients {
		p := patient
		p.INS = testINS(t, i)
		if err := f.st.PutPairing(context.Background(), docbridge.Pairing{ID: fmt.Sprintf("p%d", i), MESPatient: fmt.Sprintf("m%d", i), Patient: p, AccessToken: "tok", CreatedAt: f.now}); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// Unrelated documents go in parallel, up to Concurrency, even of one
// patient; the versions of one report (an original, its replacement and a
// replacement of that, accepted together) are never in flight together
// and reach MES in order.
func TestConcurrentDeliveryKeepsChainsInOrder(t *testing.T) {
	const concurrency, reports = 4, 12
	s := &overlapSender{delay: 30 * time.Millisecond}
	f := newConcurrentFixture(t, s, concurrency, 0)
	f.pair(t)
	want := map[string]string{}
	for i := range reports {
		r := fmt.Sprintf("urn:oid:5.%d", i)
		f.accept(t, r+".1")
		f.accept(t, r+".2;replaces="+r+".1")
		want[r] = fmt.Sprintf("[create %s.1 replace %s.2>%s.1", r, r, r)
		if i%2 == 0 {
			f.accept(t, r+".3;replaces="+r+".2")
			want[r] += fmt.Sprintf(" replace %s.3>%s.2", r, r)
		}
		want[r] += "]"
	}
	f.settle(t)
	if s.overlaps != 0 {
		t.Errorf("%d requests sent while another version of the same report was in flight, want 0", s.overlaps)
	}
	if s.maxInFlight < 2 || s.maxInFlight > concurrency {
		t.Errorf("at most %d requests in flight, want 2 … %d", s.maxInFlight, concurrency)
	}
	for i := range reports {
		r := fmt.Sprintf("urn:oid:5.%d", i)
		if got := fmt.Sprint(s.wire[r]); got != want[r] {
			t.Errorf("report %d: wire %s, want %s", i, got, want[r])
		}
		wantState(t, f.doc(t, r+".1"), docbridge.Superseded, "")
		last := r + ".2"
		if i%2 == 0 {
			wantState(t, f.doc(t, last), docbridge.Superseded, "")
			last = r + ".3"
		}
		wantState(t, f.doc(t, last), docbridge.Delivered, "")
	}
}

// MES's 429 with a Retry-After slows the whole endpoint: no new request
// starts before the Retry-After has passed, whichever document it is for,
// and the limit is halved; then every document goes, once.
func TestOverloadSlowsTheEndpoint(t *testing.T) {
	const concurrency, patients = 4, 12
	s := &overlapSender{delay: 20 * time.Millisecond, answer: func(n int) error {
		if n == 1 {
			return &docbridge.Error{Reason: docbridge.MESUnavailable, Msg: "429", RetryAfter: time.Minute}
		}
		return nil
	}}
	f := newConcurrentFixture(t, s, concurrency, patients)
	for i := range patients {
		f.accept(t, fmt.Sprintf("urn:oid:6.%d;ins=%s", i, testINS(t, i)))
	}
	f.settle(t)
	if got := s.requests(); got > concurrency {
		t.Errorf("%d requests before the Retry-After passed, want at most the %d already in flight", got, concurrency)
	}
	if got, want := f.p.limit.current(), concurrency/2; got != want {
		t.Errorf("limit after one 429 = %d, want %d", got, want)
	}
	f.now = f.now.Add(2 * time.Minute)
	f.settle(t)
	rows, err := f.st.Documents(context.Background(), store.Filter{State: docbridge.Delivered})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(rows); got != patients {
		t.Errorf("%d documents delivered, want %d", got, patients)
	}
	if got, want := s.requests(), patients+1; got != want {
		t.Errorf("%d requests, want %d (each document once, the throttled one twice)", got, want)
	}
}

// The circuit breaker with several requests in flight: the failures of
// requests sent before it opened do not prolong it, and after the
// cool-down one probe goes while the others wait.
func TestBreakerWithConcurrentRequests(t *testing.T) {
	const concurrency, patients = 8, 20
	var down sync.Mutex
	up := false
	s := &overlapSender{delay: 20 * time.Millisecond, answer: func(int) error {
		down.Lock()
		defer down.Unlock()
		if !up {
			return &docbridge.Error{Reason: docbridge.MESUnavailable, Msg: "503"}
		}
		return nil
	}}
	f := newConcurrentFixture(t, s, concurrency, patients)
	f.p.breaker = newBreaker(3, time.Minute, time.Hour)
	for i := range patients {
		f.accept(t, fmt.Sprintf("urn:oid:8.%d;ins=%s", i, testINS(t, i)))
	}
	f.settle(t)
	first := s.requests()
	if first < 3 || first > concurrency {
		t.Errorf("%d requests while MES is down, want 3 … %d (those in flight when the circuit opened)", first, concurrency)
	}
	if got, want := f.p.breaker.cooldown, 2*time.Minute; got != want {
		t.Errorf("next cool-down %v, want %v: one opening, not one per failed request in flight", got, want)
	}
	f.now = f.now.Add(61 * time.Second) // past the cool-down: one probe, which fails
	f.settle(t)
	if got := s.requests(); got != first+1 {
		t.Errorf("%d requests after one cool-down, want %d (one probe)", got, first+1)
	}
	down.Lock()
	up = true
	down.Unlock()
	for range 4 {
		f.now = f.now.Add(time.Hour)
		f.settle(t)
	}
	for i := range patients {
		wantState(t, f.doc(t, fmt.Sprintf("urn:oid:8.%d", i)), docbridge.Delivered, "")
	}
}

func TestLimitAdapts(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	l := newLimit(16)
	l.adapt(t0, true, 0, t0.Add(time.Second))
	if got, want := l.current(), 8; got != want {
		t.Fatalf("after one overload: %d, want %d", got, want)
	}
	l.adapt(t0, true, 0, t0.Add(2*time.Second)) // sent before the cut: the same burst
	if got, want := l.current(), 8; got != want {
		t.Fatalf("after an overload of the same burst: %d, want %d", got, want)
	}
	l.adapt(t0.Add(3*time.Second), true, 30*time.Second, t0.Add(4*time.Second))
	if got, want := l.current(), 4; got != want {
		t.Fatalf("after a second overload: %d, want %d", got, want)
	}
	if l.open(t0.Add(20 * time.Second)) {
		t.Error("open during a Retry-After pause")
	}
	if !l.open(t0.Add(35 * time.Second)) {
		t.Error("still paused after the Retry-After")
	}
	l.adapt(t0, false, 0, t0.Add(5*time.Second)) // sent before the cut: no growth
	if got, want := l.current(), 4; got != want {
		t.Fatalf("after a success of the throttled burst: %d, want %d", got, want)
	}
	t0 = t0.Add(10 * time.Second)
	for range 5 {
		l.adapt(t0, false, 0, t0)
	}
	if got, want := l.current(), 5; got != want {
		t.Errorf("after 5 successes from 4: %d, want %d (about one more per limit's worth)", got, want)
	}
	for range 19 {
		l.adapt(t0, false, 0, t0)
	}
	if got, want := l.current(), 8; got != want {
		t.Errorf("after 24 successes from 4: %d, want %d (about one more per limit's worth)", got, want)
	}
	for range 1000 {
		l.adapt(t0, false, 0, t0)
	}
	if got, want := l.current(), 16; got != want {
		t.Errorf("after many successes: %d, want the maximum %d", got, want)
	}
	for range 10 {
		l.adapt(t0.Add(time.Hour), true, 0, t0.Add(time.Hour))
		t0 = t0.Add(time.Hour + time.Second)
	}
	if got, want := l.current(), 1; got != want {
		t.Errorf("after many overloads: %d, want at least one request at a time (%d)", got, want)
	}
}

// Two instances with a Lease, each with several requests in flight, on one
// store: every document is sent once.
func TestLeasedConcurrentPipelinesSendEachDocumentOnce(t *testing.T) {
	const patients = 10
	s := &overlapSender{delay: 5 * time.Millisecond}
	f := newConcurrentFixture(t, s, 4, patients)
	for i := range 4 * patients {
		f.accept(t, fmt.Sprintf("urn:oid:9.%d;ins=%s", i, testINS(t, i%patients)))
	}
	second := New(Options{
		Store: f.st, Converter: f.p.o.Converter, Checker: f.p.o.Checker, Matcher: f.p.o.Matcher,
		Sender: s, Log: f.p.o.Log, Now: f.p.o.Now, Lease: time.Minute, Concurrency: 4,
	})
	f.p.o.Lease = time.Minute
	drainTogether(t, f.p, second)
	sent := map[string]int{}
	for _, lines := range s.wire {
		for _, l := range lines {
			sent[l]++
		}
	}
	for i := range 4 * patients {
		id := fmt.Sprintf("urn:oid:9.%d", i)
		if got := sent["create "+id]; got != 1 {
			t.Errorf("%s sent %d times, want once", id, got)
		}
		wantState(t, f.doc(t, id), docbridge.Delivered, "")
	}
}

func TestChainsGroupVersions(t *testing.T) {
	row := func(id int64, uid, replaces string) store.DocRow {
		return store.DocRow{ID: id, UniqueID: uid, Doc: &docbridge.Document{UniqueID: uid, Replaces: replaces}}
	}
	rows := []store.DocRow{
		row(1, "a2", "a1"), // a1 is not in the batch
		row(2, "x", ""),
		row(3, "a3", "a2"), // replaces a2: with row 1
		row(4, "b1", ""),
		row(5, "y", ""),
		row(6, "b2", "b1"),
		row(7, "c", "y"), // joins y
		row(8, "x", "c"), // a version of x replacing c: x, y and c are one chain now
		row(9, "c3", "c"),
	}
	p := newFixture(t, nil).p // an empty store: no stored versions join more rows
	groups, err := p.chains(context.Background(), rows)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, g := range groups {
		var ids []string
		for _, r := range g {
			ids = append(ids, strconv.FormatInt(r.ID, 10))
		}
		got = append(got, strings.Join(ids, " "))
	}
	if want := "[1 3 | 2 5 7 8 9 | 4 6]"; "["+strings.Join(got, " | ")+"]" != want {
		t.Errorf("chains = [%s], want %s", strings.Join(got, " | "), want)
	}
}
