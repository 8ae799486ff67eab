package bulk

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/store"
)

// writeFiles writes each file of files (relative path → content) under dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSidecarRule checks which file a PDF takes as its sidecar, in an
// archive (sidecarOf) and in the drop folder (DropSidecar), and that the
// walker leaves out exactly the sidecars taken (isSidecar).
func TestSidecarRule(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"a.pdf":      "",
		"a.json":     "{}",
		"a.yaml":     "x: 1",
		"b.pdf":      "",
		"b.pdf.json": "{}",
		"c.PDF":      "",
		"c.YML":      "x: 1",
		"d.pdf":      "",
		"d.json":     `{"resourceType": "Bundle"}`,
		"d.pdf.yaml": "x: 1",
		"e.json":     "{}",
		"f.pdf":      "",
		"g.xml":      "",
		"g.json":     "{}",
		"h.pdf":      "",
		"h.Json":     "{}",
		"i.pdf.yml":  "x: 1", // no i.pdf
	})
	if err := os.Symlink(filepath.Join(dir, "a.json"), filepath.Join(dir, "f.yml")); err != nil {
		t.Fatal(err)
	}
	takes := []struct{ pdf, archive, drop string }{
		{"a.pdf", "a.json", "a.json"}, // the first extension wins
		{"b.pdf", "b.pdf.json", ""},   // the export form is the archive's only
		{"c.PDF", "c.YML", "c.YML"},
		{"d.pdf", "d.pdf.yaml", ""},   // a FHIR resource is an input of its own
		{"f.pdf", "", ""},             // a link is not a sidecar
		{"g.xml", "", ""},             // not a PDF
		{"h.pdf", "h.Json", "h.Json"}, // an extension in any case
	}
	name := func(p string) string {
		if p == "" {
			return ""
		}
		return filepath.Base(p)
	}
	for _, tt := range takes {
		pdf := filepath.Join(dir, tt.pdf)
		if got := name(sidecarOf(pdf)); got != tt.archive {
			t.Errorf("sidecarOf(%s) = %q, want %q", tt.pdf, got, tt.archive)
		}
		if got := name(DropSidecar(pdf)); got != tt.drop {
			t.Errorf("DropSidecar(%s) = %q, want %q", tt.pdf, got, tt.drop)
		}
	}
	var walked []string
	err := walk(context.Background(), dir, nil, nil, func(en entry) error { walked = append(walked, en.rel); return nil })
	if err != nil {
		t.Fatal(err)
	}
	// Left out: a.json, b.pdf.json, c.YML, d.pdf.yaml, h.Json, the sidecars taken.
	want := []string{"a.pdf", "a.yaml", "b.pdf", "c.PDF", "d.json", "d.pdf", "e.json", "f.pdf", "f.yml",
		"g.json", "g.xml", "h.pdf", "i.pdf.yml"}
	sort.Strings(walked)
	if diff := cmp.Diff(want, walked); diff != "" {
		t.Errorf("files walked (-want +got):\n%s", diff)
	}
}

// recorder is a Converter that records the origin of each file and
// refuses it.
type recorder struct {
	mu   sync.Mutex
	seen map[string]docbridge.Origin // by the file's first bytes
}

func (r *recorder) convert(raw []byte, o docbridge.Origin) (docbridge.Format, []*docbridge.Document, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen[string(raw)] = o
	return "", nil, docbridge.Errorf(docbridge.UnsupportedFormat, "recorded")
}

type noMatch struct{}

func (noMatch) Match(context.Context, *docbridge.Document) (docbridge.Pairing, error) {
	return docbridge.Pairing{}, docbridge.Errorf(docbridge.NotPaired, "no pairing")
}

// sidecarArchive is an archive whose PDFs have every kind of sidecar.
func sidecarArchive(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "archive")
	writeFiles(t, dir, map[string]string{
		"DUPONT_Marie/x.pdf":      "pdf x",
		"DUPONT_Marie/x.json":     `{"title": "x"}`,
		"DUPONT_Marie/y.pdf":      "pdf y",
		"DUPONT_Marie/y.pdf.yaml": "title: y",
		"z.pdf":                   "pdf z",
		"w/w.pdf":                 "pdf w",
		"w/w.json":                `{"title": "w"}`,
		"w/w.yaml":                "second sidecar",
		"big.pdf":                 "pdf big",
		"big.json":                strings.Repeat(" ", docbridge.MaxSidecar+1),
		"empty.pdf":               "pdf empty",
		"empty.yaml":              "\n",
		"note.xml":                "xml note",
	})
	return dir
}

// TestDryRunOrigin checks that the converter gets each file's base name
// and its sidecar's bytes, and that a sidecar too large or empty fails its
// PDF with its reason.
func TestDryRunOrigin(t *testing.T) {
	dir := sidecarArchive(t)
	rec := &recorder{seen: map[string]docbridge.Origin{}}
	res, err := DryRun(context.Background(), Options{
		Root: dir, ScratchDir: t.TempDir(), Convert: convertFunc(rec.convert),
		Check: func(*docbridge.Document) []docbridge.Problem { return nil }, Match: noMatch{},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	want := map[string]docbridge.Origin{
		"pdf x":          {Name: "x.pdf", Intake: Intake, Sidecar: []byte(`{"title": "x"}`)},
		"pdf y":          {Name: "y.pdf", Intake: Intake, Sidecar: []byte("title: y")},
		"pdf z":          {Name: "z.pdf", Intake: Intake},
		"pdf w":          {Name: "w.pdf", Intake: Intake, Sidecar: []byte(`{"title": "w"}`)},
		"second sidecar": {Name: "w.yaml", Intake: Intake}, // the second candidate is an input
		"xml note":       {Name: "note.xml", Intake: Intake},
	}
	if diff := cmp.Diff(want, rec.seen); diff != "" {
		t.Errorf("origins given to the converter (-want +got):\n%s", diff)
	}
	if got, want := [2]int{res.Summary.Files, res.Summary.Sidecars}, [2]int{8, 5}; got != want {
		t.Errorf("files, sidecars = %v, want %v", got, want)
	}
	got := map[string]string{}
	for r := range res.Refusals(context.Background()) {
		if r.Message != "recorded" {
			got[r.Path] = string(r.Outcome) + " " + string(r.Reason) + ": " + r.Message
		}
	}
	if err := res.Err(); err != nil {
		t.Fatal(err)
	}
	wantRefused := map[string]string{
		"big.pdf": "failed too-large: big.json: the PDF's sidecar is over 1048576 bytes: a sidecar holds the document's metadata only; shorten it",
		"empty.pdf": "failed malformed: empty.yaml: the PDF's sidecar is empty: write the document's metadata in it " +
			"(see convert/pdf/testdata/cr-bio.json), or remove it",
	}
	if diff := cmp.Diff(wantRefused, got); diff != "" {
		t.Errorf("sidecar refusals (-want +got):\n%s", diff)
	}
}

func TestSidecarItem(t *testing.T) {
	err := &fs.PathError{Op: "open", Path: "/archive/DUPONT/x.json", Err: syscall.EACCES}
	it := sidecarItem("DUPONT/x.pdf", "/archive/DUPONT/x.json", err)
	want := Item{Path: "DUPONT/x.pdf", Outcome: Unreadable, Message: "x.json: the PDF's sidecar cannot be read: permission denied"}
	if diff := cmp.Diff(want, *it); diff != "" {
		t.Errorf("item (-want +got):\n%s", diff)
	}
}

// envelopes is a Sink that records what it is given, and a Store whose
// inputs all failed; Run then has nothing to wait for.
type envelopes struct {
	mu  sync.Mutex
	got map[string]*docbridge.Envelope // by body
}

func (s *envelopes) Accept(_ context.Context, e *docbridge.Envelope) (docbridge.Accepted, error) {
	b, err := io.ReadAll(e.Body)
	if err != nil {
		return docbridge.Accepted{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got[string(b)] = e
	return docbridge.Accepted{ID: int64(len(s.got)), State: docbridge.Failed}, nil
}

func (s *envelopes) Input(_ context.Context, id int64) (store.Input, error) {
	return store.Input{ID: id, State: docbridge.Failed, Reason: docbridge.UnsupportedFormat, Message: "stored"}, nil
}

func (s *envelopes) Documents(context.Context, store.Filter) ([]store.DocRow, error) { return nil, nil }
func (s *envelopes) CountsByGroup(context.Context) ([]store.Count, error)            { return nil, nil }
func (s *envelopes) PendingInputs(context.Context, int) ([]store.Input, error)       { return nil, nil }

// TestRunEnvelopes checks that the run gives the Sink each PDF's sidecar
// and each file's base name at the end of the source, never its folders,
// and that a PDF whose sidecar cannot be taken never reaches the Sink and
// is refused as in the dry run.
func TestRunEnvelopes(t *testing.T) {
	dir := sidecarArchive(t)
	sink := &envelopes{got: map[string]*docbridge.Envelope{}}
	res, err := Run(context.Background(), RunOptions{
		Options: Options{Root: dir, ScratchDir: t.TempDir()},
		Sink:    sink, Store: sink, Poll: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	var bodies []string
	for body, e := range sink.got {
		bodies = append(bodies, body)
		if e.Intake != Intake || !strings.HasPrefix(e.Source, "bulk:") || strings.Contains(e.Source, "DUPONT") {
			t.Errorf("%s: intake %q, source %q", body, e.Intake, e.Source)
		}
	}
	sort.Strings(bodies)
	if diff := cmp.Diff([]string{"pdf w", "pdf x", "pdf y", "pdf z", "second sidecar", "xml note"}, bodies); diff != "" {
		t.Errorf("bodies given to the Sink (-want +got):\n%s", diff)
	}
	for body, want := range map[string]struct{ name, sidecar string }{
		"pdf x": {"x.pdf", `{"title": "x"}`}, "pdf y": {"y.pdf", "title: y"}, "pdf z": {"z.pdf", ""}, "xml note": {"note.xml", ""},
	} {
		e := sink.got[body]
		if e == nil {
			continue
		}
		if !strings.HasSuffix(e.Source, "/"+want.name) || !bytes.Equal(e.Sidecar, []byte(want.sidecar)) || (want.sidecar == "") != (e.Sidecar == nil) {
			t.Errorf("%s: source %q, sidecar %q; want the name %s and the sidecar %q", body, e.Source, e.Sidecar, want.name, want.sidecar)
		}
	}
	if got, want := res.Summary.Reasons, map[docbridge.Reason]int{docbridge.UnsupportedFormat: 6, docbridge.TooLarge: 1, docbridge.Malformed: 1}; !cmp.Equal(got, want) {
		t.Errorf("reasons = %v, want %v", got, want)
	}
	if got, want := res.Summary.Sidecars, 5; got != want {
		t.Errorf("Sidecars = %d, want %d", got, want)
	}
}
