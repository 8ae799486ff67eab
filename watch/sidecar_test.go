package watch

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docbridge/docbridge"
)

// pairSink records each input with its sidecar.
type pairSink struct {
	mu     sync.Mutex
	got    []taken
	accept func(name string) (docbridge.Accepted, error)
}

type taken struct {
	source  string
	body    string
	sidecar []byte
}

func (s *pairSink) Accept(_ context.Context, e *docbridge.Envelope) (docbridge.Accepted, error) {
	body, err := io.ReadAll(e.Body)
	if err != nil {
		return docbridge.Accepted{}, err
	}
	acc := docbridge.Accepted{ID: 1, State: docbridge.Converted}
	if s.accept != nil {
		if acc, err = s.accept(e.Source); err != nil {
			return acc, err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got = append(s.got, taken{source: e.Source, body: string(body), sidecar: e.Sidecar})
	return acc, nil
}

func (s *pairSink) inputs() []taken {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]taken(nil), s.got...)
}

// dropPair writes name into dir by rename from a staging folder, as the
// drop-folder convention says.
func dropFile(t *testing.T, dir, name, content string) {
	t.Helper()
	tmp := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		t.Fatal(err)
	}
}

// startPairs runs a folder whose staging area is on the same filesystem.
func startPairs(t *testing.T, sink docbridge.Sink, grace time.Duration) string {
	t.Helper()
	dir := t.TempDir()
	runFolder(t, FolderOptions{Dir: dir, Sink: sink, Settle: 200 * time.Millisecond, Rescan: time.Hour, SidecarGrace: grace})
	time.Sleep(50 * time.Millisecond)
	return dir
}

const (
	pdfBody  = "%PDF-1.7\n...\n%%EOF\n"
	sideJSON = `{"type": "11502-2"}`
)

func TestSidecarFirstThenPDF(t *testing.T) {
	sink := &pairSink{}
	dir := startPairs(t, sink, time.Hour)
	dropFile(t, dir, "cr-1.json", sideJSON)
	time.Sleep(300 * time.Millisecond) // the sidecar alone is not taken
	if n := len(sink.inputs()); n != 0 {
		t.Fatalf("the sidecar was taken alone: %d inputs", n)
	}
	dropFile(t, dir, "cr-1.pdf", pdfBody)
	eventually(t, "cr-1.pdf taken", func() bool { return len(sink.inputs()) == 1 })
	got := sink.inputs()[0]
	if got.source != "cr-1.pdf" || got.body != pdfBody || string(got.sidecar) != sideJSON {
		t.Errorf("input = %+v, want the PDF with its sidecar", got)
	}
	eventually(t, "the pair in done/", func() bool {
		return exists(filepath.Join(dir, "done", "cr-1.pdf")) && exists(filepath.Join(dir, "done", "cr-1.json"))
	})
	if exists(filepath.Join(dir, "cr-1.json")) {
		t.Error("the sidecar is still in the drop folder")
	}
}

func TestPDFFirstWaitsForItsSidecar(t *testing.T) {
	sink := &pairSink{}
	dir := startPairs(t, sink, 5*time.Second)
	dropFile(t, dir, "cr-2.PDF", pdfBody)
	time.Sleep(200 * time.Millisecond)
	dropFile(t, dir, "cr-2.yaml", "type: 11502-2\n")
	eventually(t, "cr-2.PDF taken", func() bool { return len(sink.inputs()) == 1 })
	if got := sink.inputs()[0]; string(got.sidecar) != "type: 11502-2\n" {
		t.Errorf("sidecar = %q, want the YAML", got.sidecar)
	}
	eventually(t, "the pair in done/", func() bool {
		return exists(filepath.Join(dir, "done", "cr-2.PDF")) && exists(filepath.Join(dir, "done", "cr-2.yaml"))
	})
}

func TestPDFWithoutSidecarGoesAloneAfterTheGrace(t *testing.T) {
	sink := &pairSink{}
	dir := startPairs(t, sink, 300*time.Millisecond)
	start := time.Now()
	dropFile(t, dir, "285047505612322_11502-2_20250301.pdf", pdfBody)
	eventually(t, "the PDF taken", func() bool { return len(sink.inputs()) == 1 })
	if waited := time.Since(start); waited < 300*time.Millisecond {
		t.Errorf("the PDF was taken after %v, before the grace", waited)
	}
	if got := sink.inputs()[0]; got.sidecar != nil {
		t.Errorf("sidecar = %q, want none", got.sidecar)
	}
}

func TestLoneSidecarsWaitAndFHIRJSONIsAnInput(t *testing.T) {
	sink := &pairSink{}
	dir := startPairs(t, sink, 100*time.Millisecond)
	dropFile(t, dir, "orphan.json", sideJSON)
	dropFile(t, dir, "orphan.yml", "type: x\n")
	dropFile(t, dir, "bundle.json", `{"resourceType": "Bundle", "type": "transaction"}`)
	dropFile(t, dir, "bundle.pdf", pdfBody) // a FHIR input is no PDF's sidecar
	eventually(t, "bundle.json and bundle.pdf taken", func() bool { return len(sink.inputs()) == 2 })
	time.Sleep(500 * time.Millisecond)
	for _, in := range sink.inputs() {
		if in.sidecar != nil || (in.source != "bundle.json" && in.source != "bundle.pdf") {
			t.Errorf("input %+v, want bundle.json and bundle.pdf, each alone", in)
		}
	}
	for _, n := range []string{"orphan.json", "orphan.yml"} {
		if !exists(filepath.Join(dir, n)) {
			t.Errorf("%s left the drop folder", n)
		}
	}
}

func TestRefusedPairGoesToFailed(t *testing.T) {
	sink := &pairSink{accept: func(string) (docbridge.Accepted, error) {
		return docbridge.Accepted{ID: 4, State: docbridge.Failed, Reason: docbridge.Malformed, Message: "the sidecar is not valid JSON"}, nil
	}}
	dir := startPairs(t, sink, time.Hour)
	dropFile(t, dir, "bad.json", "{")
	dropFile(t, dir, "bad.pdf", pdfBody)
	eventually(t, "the pair in failed/", func() bool {
		return exists(filepath.Join(dir, "failed", "bad.pdf")) && exists(filepath.Join(dir, "failed", "bad.json")) &&
			exists(filepath.Join(dir, "failed", "bad.pdf.reason.json"))
	})
}

func TestTooBigSidecarIsRefused(t *testing.T) {
	sink := &pairSink{}
	dir := startPairs(t, sink, time.Hour)
	dropFile(t, dir, "big.yaml", "title: "+strings.Repeat("x", docbridge.MaxSidecar)+"\n")
	dropFile(t, dir, "big.pdf", pdfBody)
	eventually(t, "the pair in failed/", func() bool { return exists(filepath.Join(dir, "failed", "big.pdf.reason.json")) })
	rf, _ := os.ReadFile(filepath.Join(dir, "failed", "big.pdf.reason.json"))
	if !strings.Contains(string(rf), string(docbridge.TooLarge)) || !exists(filepath.Join(dir, "failed", "big.yaml")) {
		t.Errorf("reason file %s; sidecar in failed/: %v", rf, exists(filepath.Join(dir, "failed", "big.yaml")))
	}
	if n := len(sink.inputs()); n != 0 {
		t.Errorf("the sink got %d inputs, want none", n)
	}
}

// TestPairNamesStayTogether drops a pair whose names are taken in
// processing/ and in done/: the pair keeps one stem.
func TestPairNamesStayTogether(t *testing.T) {
	sink := &pairSink{}
	dir := t.TempDir()
	for _, d := range []string{filepath.Join(dir, "done"), filepath.Join(dir, "processing", "a")} {
		os.MkdirAll(d, 0o750)
		os.WriteFile(filepath.Join(d, "cr.pdf"), []byte("older"), 0o600)
	}
	runFolder(t, FolderOptions{Dir: dir, Sink: sink, Instance: "a", Settle: 200 * time.Millisecond, Rescan: time.Hour, SidecarGrace: time.Hour})
	time.Sleep(50 * time.Millisecond)
	dropFile(t, dir, "cr.json", sideJSON)
	dropFile(t, dir, "cr.pdf", pdfBody)
	eventually(t, "the new pair in done/", func() bool {
		entries, _ := os.ReadDir(filepath.Join(dir, "done"))
		stems := map[string]int{}
		for _, e := range entries {
			stems[strings.TrimSuffix(e.Name(), filepath.Ext(e.Name()))]++
		}
		for st, n := range stems {
			if st != "cr" && n == 2 {
				return true
			}
		}
		return false
	})
	var withSidecar int
	for _, in := range sink.inputs() {
		if string(in.sidecar) == sideJSON && in.body == pdfBody {
			withSidecar++
		}
	}
	if withSidecar != 1 {
		t.Errorf("inputs = %+v, want the new PDF once with its sidecar", sink.inputs())
	}
}

// TestClaimedPDFAfterACrashGuessesNoSidecar: a PDF found in processing at
// start (claimed before a crash) never takes a sidecar of the drop folder,
// which may be a new file's: it goes alone.
func TestClaimedPDFAfterACrashGuessesNoSidecar(t *testing.T) {
	sink := &pairSink{}
	dir := t.TempDir()
	proc := filepath.Join(dir, "processing", "lab")
	os.MkdirAll(proc, 0o750)
	os.WriteFile(filepath.Join(proc, "cr-9.pdf"), []byte(pdfBody), 0o600)
	os.WriteFile(filepath.Join(dir, "cr-9.json"), []byte(sideJSON), 0o600)
	runFolder(t, FolderOptions{Dir: dir, Sink: sink, Instance: "lab", Settle: 200 * time.Millisecond, Rescan: time.Hour})
	eventually(t, "cr-9.pdf taken", func() bool { return len(sink.inputs()) == 1 })
	if got := sink.inputs()[0]; got.sidecar != nil {
		t.Errorf("sidecar = %q, want none", got.sidecar)
	}
	time.Sleep(300 * time.Millisecond)
	if !exists(filepath.Join(dir, "cr-9.json")) {
		t.Error("the sidecar left the drop folder")
	}
}

// TestClaimedPairIsFinishedAfterACrash: a PDF and its sidecar both in
// processing at start are one input.
func TestClaimedPairIsFinishedAfterACrash(t *testing.T) {
	sink := &pairSink{}
	dir := t.TempDir()
	proc := filepath.Join(dir, "processing", "lab")
	os.MkdirAll(proc, 0o750)
	os.WriteFile(filepath.Join(proc, "cr-8.pdf"), []byte(pdfBody), 0o600)
	os.WriteFile(filepath.Join(proc, "cr-8.yaml"), []byte("type: x\n"), 0o600)
	runFolder(t, FolderOptions{Dir: dir, Sink: sink, Instance: "lab", Settle: 200 * time.Millisecond, Rescan: time.Hour})
	eventually(t, "the pair in done/", func() bool {
		return exists(filepath.Join(dir, "done", "cr-8.pdf")) && exists(filepath.Join(dir, "done", "cr-8.yaml"))
	})
	if got := sink.inputs(); len(got) != 1 || string(got[0].sidecar) != "type: x\n" {
		t.Errorf("inputs = %+v, want the PDF once with its sidecar", got)
	}
}

// A sidecar whose PDF never comes is refused after SidecarMax, with a
// reason file, instead of waiting unseen for ever; it is never an input.
func TestLoneSidecarIsRefusedAfterItsMaximumWait(t *testing.T) {
	sink := &pairSink{}
	dir := t.TempDir()
	runFolder(t, FolderOptions{Dir: dir, Sink: sink, Settle: 200 * time.Millisecond, Rescan: time.Hour, SidecarMax: 300 * time.Millisecond})
	time.Sleep(50 * time.Millisecond) // let the watch start
	dropFile(t, dir, "orphan.json", sideJSON)
	eventually(t, "orphan.json in failed/ with its reason", func() bool {
		return exists(filepath.Join(dir, "failed", "orphan.json")) && exists(filepath.Join(dir, "failed", "orphan.json.reason.json"))
	})
	b, err := os.ReadFile(filepath.Join(dir, "failed", "orphan.json.reason.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rf ReasonFile
	if err := json.Unmarshal(b, &rf); err != nil || rf.Code != docbridge.MissingMetadata {
		t.Errorf("reason file %s (%v), want code %s", b, err, docbridge.MissingMetadata)
	}
	if got := sink.inputs(); len(got) != 0 {
		t.Errorf("the lone sidecar was taken as an input: %+v", got)
	}
}
