//go:build chaos

// The reliability suite of docbridge (`make chaos`): the daemon runs as a
// real process, is killed with SIGKILL at random moments, talks to a
// simulator that goes down in several ways, and is fed hostile inputs. It
// prints its figures at the end of each test.
package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io/fs"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/convert"
	"github.com/docbridge/docbridge/hl7"
	"github.com/docbridge/docbridge/internal/identity"
	"github.com/docbridge/docbridge/internal/store"
	"github.com/docbridge/docbridge/mappings"
	"github.com/docbridge/docbridge/mes/messim"
	"github.com/docbridge/docbridge/samples"
)

// chaosSeed makes a run reproducible: CHAOS_SEED=n go test -tags chaos …
func chaosSeed(t *testing.T) *rand.Rand {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("CHAOS_SEED"); s != "" {
		fmt.Sscan(s, &seed)
	}
	t.Logf("CHAOS_SEED=%d", seed)
	return rand.New(rand.NewPCG(seed, seed))
}

// TestChaosKills: 5,000 documents through mixed intakes — 4,000 files in
// the drop folder and 1,000 ORU^R01 over MLLP from a sender that, like a
// real LIS, resends what was not acknowledged — while the daemon is killed
// with SIGKILL ten times at random moments. Every document must reach the
// simulator exactly once and none may be left undelivered.
func TestChaosKills(t *testing.T) {
	const files, messages, kills = 4000, 1000, 10
	const docs = files + messages
	rng := chaosSeed(t)
	var posts atomic.Int64
	addr := freePort(t)
	e := newE2EServer(t, messim.Options{}, countPosts(&posts), fmt.Sprintf("mllp:\n  - {name: lis, addr: %q}\n", addr))
	cmd := e.start()
	ids := e.dropCopies(files)
	var acked, resent atomic.Int64
	senderDone := make(chan struct{})
	go func() {
		defer close(senderDone)
		for i := 0; i < messages; i++ {
			root := fmt.Sprintf("1.2.250.1.999.77.%d", i)
			msg := oruAround(t, fmt.Sprintf("CHAOS%05d", i), root)
			for try := 0; ; try++ {
				code, err := mllpTry(addr, msg)
				if err == nil && code == "AA" {
					acked.Add(1)
					break
				}
				if err == nil {
					t.Errorf("message %d: %s, want AA", i, code)
					return
				}
				resent.Add(1)
				time.Sleep(50 * time.Millisecond) // the daemon is restarting
			}
		}
	}()
	for i := 0; i < messages; i++ {
		ids[fmt.Sprintf("urn:oid:1.2.250.1.999.77.%d", i)] = true
	}
	killed := 0
	for killed < kills {
		time.Sleep(time.Duration(200+rng.IntN(1500)) * time.Millisecond)
		if e.delivered() >= docs {
			break // done before all the kills: rare on a fast machine
		}
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()
		killed++
		t.Logf("kill %d: %d delivered, %d messages acknowledged", killed, e.sim.Count(), acked.Load())
		cmd = e.start()
	}
	<-senderDone
	e.waitFor("every document delivered", 15*time.Minute, func() bool { return e.doneCount() == files && e.delivered() == docs })
	stopDaemon(t, cmd)
	lost, dup := e.lostAndDuplicated(ids)
	e.checkDocs(ids, files)
	t.Logf("FIGURES kills: documents=%d (files %d, mllp %d) kills=%d lost=%d duplicated=%d requests_per_document=%.3f mllp_resends=%d",
		docs, files, messages, killed, lost, dup, float64(posts.Load())/docs, resent.Load())
	if killed < kills {
		t.Errorf("only %d kills happened before the flow ended; want %d", killed, kills)
	}
}

// mllpTry sends one message on a new connection and returns MSA-1, or an
// error when the connection failed (the daemon is down or was killed).
func mllpTry(addr string, msg []byte) (string, error) {
	nc, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return "", err
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(20 * time.Second))
	if err := hl7.WriteFrame(nc, msg); err != nil {
		return "", err
	}
	raw, err := hl7.NewReader(nc, 0).ReadMessage()
	if err != nil {
		return "", err
	}
	ack, err := hl7.Parse(raw)
	if err != nil {
		return "", err
	}
	seg, ok := ack.Segment("MSA")
	if !ok {
		return "", fmt.Errorf("no MSA in the ACK")
	}
	return seg.Field(1).String(), nil
}

// TestChaosOutage: the simulator answers 503, resets connections, answers
// slowly and too late (client timeouts) for a while, then comes back. Everything is delivered and
// the number of requests per document stays bounded (circuit breaker).
func TestChaosOutage(t *testing.T) {
	const docs = 500
	var posts atomic.Int64
	var mode atomic.Value
	mode.Store("ok")
	var byMode counter
	wrap := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			m := mode.Load().(string)
			if r.Method == http.MethodPost {
				posts.Add(1)
				byMode.Add(m)
			}
			switch m {
			case "503":
				w.Header().Set("Retry-After", "1")
				http.Error(w, `{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"transient"}]}`, http.StatusServiceUnavailable)
				return
			case "reset":
				if hj, ok := w.(http.Hijacker); ok {
					if c, _, err := hj.Hijack(); err == nil {
						if tc, ok := c.(interface{ SetLinger(int) error }); ok {
							tc.SetLinger(0)
						}
						c.Close()
						return
					}
				}
			case "slow":
				time.Sleep(700 * time.Millisecond)
			case "timeout":
				// Longer than mes.response_timeout (5 s): docbridge gives up,
				// then the simulator stores the document anyway, so the retry
				// meets "already there".
				time.Sleep(6 * time.Second)
			}
			h.ServeHTTP(w, r)
		})
	}
	e := newE2EServer(t, messim.Options{}, wrap, "")
	cmd := e.start()
	ids := e.dropCopies(docs)
	for _, m := range []string{"503", "reset", "slow", "timeout", "503", "reset"} {
		mode.Store(m)
		time.Sleep(2 * time.Second)
	}
	mode.Store("ok")
	e.waitFor("every document delivered after the outage", 10*time.Minute, func() bool { return e.delivered() == docs })
	stopDaemon(t, cmd)
	e.check(ids)
	perDoc := float64(posts.Load()) / docs
	t.Logf("FIGURES outage: documents=%d requests=%d requests_per_document=%.3f requests_by_mode=%v", docs, posts.Load(), perDoc, byMode.snapshot())
	if perDoc > 1.5 {
		t.Errorf("%.2f requests per document: the outage was not contained", perDoc)
	}
}

// TestChaosHostile: at least 1,000 generated hostile inputs — XML bombs,
// DOCTYPE, deep nesting, truncated documents and base64, invalid UTF-8,
// unknown charsets, binary garbage, over-size files — and the committed fuzz
// corpora. Each gets a reason, the daemon never dies, nothing is delivered.
func TestChaosHostile(t *testing.T) {
	rng := chaosSeed(t)
	e := newE2EServer(t, messim.Options{}, nil, "limits: {max_input_bytes: 8000000}\n")
	cmd := e.start()
	inputs := hostileCorpus(t, rng)
	drop := filepath.Join(e.dir, "drop")
	os.MkdirAll(drop, 0o750)
	for i, b := range inputs {
		name := fmt.Sprintf("hostile-%04d.bin", i)
		tmp := filepath.Join(drop, "."+name)
		if err := os.WriteFile(tmp, b, 0o600); err != nil {
			t.Fatal(err)
		}
		os.Rename(tmp, filepath.Join(drop, name))
	}
	e.waitFor("every hostile input classified", 10*time.Minute, func() bool {
		failed, _ := filepath.Glob(filepath.Join(drop, "failed", "*.reason.json"))
		done, _ := os.ReadDir(filepath.Join(drop, "done"))
		return len(failed)+len(done) >= len(inputs)
	})
	if err := cmd.Process.Signal(syscall.Signal(0)); err != nil {
		t.Fatalf("the daemon died: %v", err)
	}
	stopDaemon(t, cmd)
	// Every input taken into done/ must have documents that stopped with a
	// reason, or were corrected by a later one that did; the ones in
	// failed/ have a reason file.
	st, err := store.Open(context.Background(), store.Options{Dir: filepath.Join(e.dir, "data")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rows, _ := st.Documents(context.Background(), store.Filter{})
	reasons := map[docbridge.Reason]int{}
	for _, r := range rows {
		switch {
		case r.State == docbridge.Superseded && r.Message != "":
			// A later hostile input under the same uniqueId corrected
			// this stopped version (it says by which document); that one
			// is checked in its turn.
			continue
		case r.Reason == "" || r.State == docbridge.Delivered:
			t.Errorf("hostile document %d is %s with no reason", r.ID, r.State)
		}
		reasons[r.Reason]++
	}
	failed, _ := filepath.Glob(filepath.Join(drop, "failed", "*.reason.json"))
	for _, f := range failed {
		b, _ := os.ReadFile(f)
		var code string
		if m := regexp.MustCompile(`"code": "([a-z-]+)"`).FindSubmatch(b); m != nil {
			code = string(m[1])
		}
		if !docbridge.Reason(code).Known() {
			t.Errorf("%s: unknown reason %q", filepath.Base(f), code)
		}
		reasons[docbridge.Reason(code)]++
	}
	if got := e.sim.Count(); got != 0 {
		t.Errorf("the simulator holds %d documents, want none", got)
	}
	log, _ := os.ReadFile(filepath.Join(e.dir, "daemon.log"))
	assertNoPatientData(t, string(log))
	done, _ := os.ReadDir(filepath.Join(drop, "done"))
	t.Logf("FIGURES hostile: inputs=%d classified=%d (refused %d, taken and stopped %d) delivered=%d by_reason=%v",
		len(inputs), len(failed)+len(done), len(failed), len(done), e.sim.Count(), reasons)
}

// lostAndDuplicated compares the simulator with the ids that were dropped.
func (e *e2e) lostAndDuplicated(ids map[string]bool) (lost, dup int) {
	seen := map[string]int{}
	for _, d := range e.sim.Documents() {
		seen[d.UniqueID]++
	}
	for id := range ids {
		switch n := seen[id]; {
		case n == 0:
			lost++
		case n > 1:
			dup += n - 1
		}
	}
	return lost, dup
}

func countPosts(n *atomic.Int64) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost {
				n.Add(1)
			}
			h.ServeHTTP(w, r)
		})
	}
}

// hostileCorpus generates the hostile inputs, built around the paired
// patient's sample so that anything wrongly accepted would be delivered.
func hostileCorpus(t *testing.T, rng *rand.Rand) [][]byte {
	t.Helper()
	base, err := fs.ReadFile(samples.FS, "cr-bio-n1-pdf.xml")
	if err != nil {
		t.Fatal(err)
	}
	root := bytes.Index(base, []byte("<ClinicalDocument"))
	end := bytes.LastIndex(base, []byte("</ClinicalDocument>"))
	b64 := regexp.MustCompile(`(?s)representation="B64"[^>]*>(.*?)</text>`).FindSubmatchIndex(base)
	if root < 0 || end < 0 || b64 == nil {
		t.Fatal("unexpected sample shape")
	}
	head, body := base[:root], base[root:]
	var out [][]byte
	add := func(b []byte) { out = append(out, b) }
	for i := 0; i < 120; i++ { // entity bombs of growing fan-out
		n := 2 + i%9
		var ents strings.Builder
		ents.WriteString(`<!ENTITY e0 "lol">`)
		for k := 1; k <= n; k++ {
			fmt.Fprintf(&ents, `<!ENTITY e%d "%s">`, k, strings.Repeat(fmt.Sprintf("&e%d;", k-1), 10))
		}
		add([]byte(fmt.Sprintf(`<?xml version="1.0"?><!DOCTYPE ClinicalDocument [%s]>`, ents.String()) +
			strings.Replace(string(body), "<title>", fmt.Sprintf("<title>&e%d;", n), 1)))
	}
	for i := 0; i < 80; i++ { // external entities and DTDs
		add([]byte(fmt.Sprintf(`<?xml version="1.0"?><!DOCTYPE ClinicalDocument SYSTEM "http://127.0.0.1:%d/evil.dtd">`, 1024+i) + string(body)))
	}
	for i := 0; i < 100; i++ { // deep nesting
		d := 257 + rng.IntN(20000)
		add([]byte(string(head) + `<ClinicalDocument xmlns="urn:hl7-org:v3">` + strings.Repeat("<x>", d) + strings.Repeat("</x>", d) + "</ClinicalDocument>"))
	}
	for i := 0; i < 250; i++ { // the document cut anywhere before its end
		add(append([]byte{}, base[:1+rng.IntN(end-1)]...))
	}
	for i := 0; i < 150; i++ { // the embedded PDF's base64 cut in its first three quarters
		cut := b64[2] + rng.IntN(max(1, (b64[3]-b64[2])*3/4))
		add(append(append([]byte{}, base[:cut]...), "</text></nonXMLBody></component></ClinicalDocument>"...))
	}
	for i := 0; i < 100; i++ { // invalid UTF-8 in the header
		p := root + 100 + rng.IntN(end-root-200)
		add(append(append(append([]byte{}, base[:p]...), 0xff, 0xfe, 0xc3), base[p:]...))
	}
	for i := 0; i < 50; i++ { // a charset nobody knows
		add([]byte(strings.Replace(string(base), `encoding="UTF-8"`, fmt.Sprintf(`encoding="x-bogus-%d"`, i), 1)))
	}
	for i := 0; i < 150; i++ { // binary garbage, some with a plausible start
		g := make([]byte, 16+rng.IntN(64<<10))
		for k := range g {
			g[k] = byte(rng.UintN(256))
		}
		starts := []string{"", "<", "<?xml", "{", "MSH|", "%PDF-", "\x0bMSH|"}
		add(append([]byte(starts[i%len(starts)]), g...))
	}
	for i := 0; i < 3; i++ { // over the size limit (8 MB in this run)
		add(bytes.Repeat([]byte("<a>"), 3_000_000+i))
	}
	add([]byte{})                                               // empty
	add([]byte(base64.StdEncoding.EncodeToString(base[:4096]))) // the document itself base64'd
	// The committed fuzz corpora (go test fuzz v1 files hold []byte literals).
	corpora, _ := filepath.Glob("../../*/*/testdata/fuzz/*/*")
	more, _ := filepath.Glob("../../*/testdata/fuzz/*/*")
	for _, f := range append(corpora, more...) {
		if b, err := os.ReadFile(f); err == nil {
			add(b)
		}
	}
	if len(out) < 1000 {
		t.Fatalf("only %d hostile inputs", len(out))
	}
	return out
}

// TestChaosHostileConverter runs the hostile corpus through the converter
// and the identity checks in-process: every input must be refused or carry
// an error problem. It names the slowest input, to find pathological cases.
func TestChaosHostileConverter(t *testing.T) {
	rng := chaosSeed(t)
	o, ido := hostileOptions(t)
	var slowest time.Duration
	slowIdx := -1
	for i, b := range hostileCorpus(t, rng) {
		start := time.Now()
		_, docs, err := convert.New(o).Convert(bytes.NewReader(b), int64(len(b)), docbridge.Origin{})
		if d := time.Since(start); d > slowest {
			slowest, slowIdx = d, i
		}
		if err != nil {
			if !docbridge.ReasonOf(err).Known() {
				t.Errorf("input %d: unknown reason %v", i, err)
			}
			continue
		}
		for _, d := range docs {
			d.Problems = append(d.Problems, identity.CheckDocument(d, ido)...)
			if d.FirstError() == nil {
				t.Errorf("input %d (%d bytes, starts %q) converted without error", i, len(b), b[:min(len(b), 40)])
			}
		}
	}
	t.Logf("slowest input %d took %v", slowIdx, slowest)
}

func hostileOptions(t *testing.T) (convert.Options, identity.Options) {
	maps, err := mappings.Load("")
	if err != nil {
		t.Fatal(err)
	}
	return convert.Options{Mappings: maps, MaxSize: 8_000_000}, identity.Options{Environment: identity.Test}
}

// counter counts strings, safely from several goroutines.
type counter struct {
	mu sync.Mutex
	m  map[string]int
}

func (c *counter) Add(k string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]int{}
	}
	c.m[k]++
}

func (c *counter) snapshot() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.m)
}
