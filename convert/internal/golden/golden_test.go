package golden

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/docbridge/docbridge"
)

// recorder is a testing.TB that records failures and skips instead of
// reporting them; Fatal and Skip end the goroutine, as on a real test.
type recorder struct {
	testing.TB
	errors, fatals, skips []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatal(args ...any) {
	r.fatals = append(r.fatals, fmt.Sprint(args...))
	runtime.Goexit()
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.fatals = append(r.fatals, fmt.Sprintf(format, args...))
	runtime.Goexit()
}
func (r *recorder) Skipf(format string, args ...any) {
	r.skips = append(r.skips, fmt.Sprintf(format, args...))
	runtime.Goexit()
}

// record runs f with a recorder, in its own goroutine.
func record(t *testing.T, f func(r *recorder)) *recorder {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	return r
}

func TestCompare(t *testing.T) {
	t.Chdir(t.TempDir())
	v := map[string]any{"b": []int{1, 2}, "a": "é"}
	const want = "{\n  \"a\": \"é\",\n  \"b\": [\n    1,\n    2\n  ]\n}\n"

	r := record(t, func(r *recorder) { Compare(r, "x.json", v) })
	if len(r.fatals) != 1 || !strings.Contains(r.fatals[0], "-update") {
		t.Errorf("without a golden file: fatals %q; want one naming -update", r.fatals)
	}

	*update = true
	r = record(t, func(r *recorder) { Compare(r, "x.json", v) })
	*update = false
	got, err := os.ReadFile(filepath.Join("testdata", "golden", "x.json"))
	if err != nil || string(got) != want || len(r.errors)+len(r.fatals) != 0 {
		t.Fatalf("-update wrote %q, %v (failures %q %q); want %q", got, err, r.errors, r.fatals, want)
	}

	if r = record(t, func(r *recorder) { Compare(r, "x.json", v) }); len(r.errors)+len(r.fatals) != 0 {
		t.Errorf("the same value: failures %q %q", r.errors, r.fatals)
	}
	r = record(t, func(r *recorder) { Compare(r, "x.json", map[string]any{"a": "e"}) })
	if len(r.errors) != 1 || !strings.Contains(r.errors[0], "x.json differs from its golden file") {
		t.Errorf("another value: errors %q; want one with a diff", r.errors)
	}
}

func TestOutcomeOf(t *testing.T) {
	doc := &docbridge.Document{UniqueID: "urn:oid:1.2.250.1.999.1"}
	tests := []struct {
		name string
		docs []*docbridge.Document
		err  error
		want Outcome
	}{
		{"documents", []*docbridge.Document{doc}, nil, Outcome{Documents: []*docbridge.Document{doc}}},
		{"refusal", nil, fmt.Errorf("wrapped: %w", docbridge.Errorf(docbridge.Malformed, "not XML")),
			Outcome{Error: &Refusal{Code: docbridge.Malformed, Message: "not XML"}}},
		{"unclassified", nil, errors.New("boom"), Outcome{Error: &Refusal{Code: "unclassified", Message: "boom"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := OutcomeOf(tt.docs, tt.err)
			if fmt.Sprint(got.Documents) != fmt.Sprint(tt.want.Documents) ||
				(got.Error == nil) != (tt.want.Error == nil) || got.Error != nil && *got.Error != *tt.want.Error {
				t.Errorf("OutcomeOf = %+v, %+v; want %+v, %+v", got.Documents, got.Error, tt.want.Documents, tt.want.Error)
			}
		})
	}
}

func TestCorpus(t *testing.T) {
	// This package is convert/internal/golden: three levels under the
	// module root.
	if got, want := Corpus("fhir"), filepath.Join("..", "..", "..", "..", "shared", "corpus", "fhir"); got != want {
		t.Errorf("Corpus(fhir) = %q, want %q", got, want)
	}
}

func TestEach(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"b.xml", "a.xml", "c.txt"} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var seen []string
	Each(t, ".xml", []Set{{Dir: dir, Prefix: "p-"}, {Dir: filepath.Join(dir, "absent"), Corpus: true}}, func(t *testing.T, path, name string) {
		seen = append(seen, filepath.Base(path)+"="+name)
	})
	if got := strings.Join(seen, " "); got != "a.xml=p-a b.xml=p-b" {
		t.Errorf("Each saw %q", got)
	}

}

func TestRequireDir(t *testing.T) {
	absent := filepath.Join(t.TempDir(), "absent")
	tests := []struct {
		name          string
		dir           string
		corpus        bool
		fatals, skips int
	}{
		{"present", t.TempDir(), false, 0, 0},
		{"absent", absent, false, 1, 0},
		{"absent corpus", absent, true, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := record(t, func(r *recorder) { RequireDir(r, tt.dir, tt.corpus) })
			if len(r.fatals) != tt.fatals || len(r.skips) != tt.skips {
				t.Errorf("fatals %q, skips %q; want %d and %d", r.fatals, r.skips, tt.fatals, tt.skips)
			}
		})
	}
}
