package watch

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/docbridge/docbridge/sidecarname"
)

// A file claimed by an instance that is not running (its lock is free) is
// given back to the drop folder and taken by a live instance; the files of
// a running instance are left alone.
func TestOrphanedClaimsAreAdopted(t *testing.T) {
	dir := t.TempDir()
	dead := filepath.Join(dir, "processing", "dead")
	alive := filepath.Join(dir, "processing", "alive")
	for _, d := range []string{dead, alive} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, lockName), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(dead, "orphan.xml"), []byte("<o/>"), 0o600)
	os.WriteFile(filepath.Join(alive, "busy.xml"), []byte("<b/>"), 0o600)
	other, err := NewFolder(FolderOptions{Dir: dir, Sink: &fakeSink{}, Instance: "alive"})
	if err != nil {
		t.Fatal(err)
	}
	lock, err := other.lockProcessing()
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()

	sink := &fakeSink{}
	runFolder(t, FolderOptions{Dir: dir, Sink: sink, Instance: "me", Settle: 100 * time.Millisecond, Rescan: time.Hour})
	eventually(t, "orphan.xml taken", func() bool { return sink.has("orphan.xml") })
	if sink.has("busy.xml") || !exists(filepath.Join(alive, "busy.xml")) {
		t.Error("a file claimed by a running instance was taken")
	}
}

func TestTwoInstancesOfOneNameAreRefused(t *testing.T) {
	dir := t.TempDir()
	a, err := NewFolder(FolderOptions{Dir: dir, Sink: &fakeSink{}, Instance: "x"})
	if err != nil {
		t.Fatal(err)
	}
	lock, err := a.lockProcessing()
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if _, err := a.lockProcessing(); err == nil {
		t.Error("a second lock of the same processing folder succeeded")
	}
}

// A stopped instance's claimed PDF and sidecar go back to the drop folder
// together, under a stem no file there has: a newer sidecar (or PDF) of
// the same name waiting in the drop folder never pairs with them.
func TestAdoptedPairNeverMeetsAnotherFilesHalf(t *testing.T) {
	for _, waiting := range []string{"report.json", "report.yaml", "report.pdf"} {
		t.Run(waiting, func(t *testing.T) {
			dir := t.TempDir()
			dead := filepath.Join(dir, "processing", "dead")
			if err := os.MkdirAll(dead, 0o750); err != nil {
				t.Fatal(err)
			}
			for name, body := range map[string]string{lockName: "", "report.pdf": "%PDF-old", "report.json": `{"title":"old"}`, "lone.pdf": "%PDF-lone"} {
				if err := os.WriteFile(filepath.Join(dead, name), []byte(body), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.WriteFile(filepath.Join(dir, waiting), []byte("new"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "lone.json"), []byte(`{"title":"new"}`), 0o600); err != nil {
				t.Fatal(err)
			}
			f, err := NewFolder(FolderOptions{Dir: dir, Sink: &fakeSink{}, Instance: "me"})
			if err != nil {
				t.Fatal(err)
			}
			f.adoptOrphans()

			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			pdfs := 0
			for _, e := range entries {
				if !sidecarname.IsPDF(e.Name()) {
					continue
				}
				pdfs++
				body, _ := os.ReadFile(filepath.Join(dir, e.Name()))
				side := sidecarIn(dir, e.Name())
				var sideBody []byte
				if side != "" {
					sideBody, _ = os.ReadFile(filepath.Join(dir, side))
				}
				want := map[string]string{"%PDF-old": `{"title":"old"}`, "%PDF-lone": "", "new": ""}[string(body)]
				if waiting != "report.pdf" && string(body) == "new" {
					t.Fatalf("unexpected PDF %s", e.Name())
				}
				if string(sideBody) != want {
					t.Errorf("PDF %q (%s) pairs with sidecar %q (%q), want %q", e.Name(), body, side, sideBody, want)
				}
			}
			if want := map[bool]int{true: 3, false: 2}[waiting == "report.pdf"]; pdfs != want {
				t.Errorf("%d PDFs in the drop folder, want %d", pdfs, want)
			}
		})
	}
}
