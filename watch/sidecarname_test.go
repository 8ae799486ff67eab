package watch

import (
	"os"
	"path/filepath"
	"testing"
)

// TestSidecarNames checks the drop folder's side of the sidecar naming
// rule (package sidecarname) on the forms internal/bulk's
// TestSidecarNames checks too: the PDF's extension in any case, each
// sidecar extension, and the practice-software form, which the drop folder
// does not read (bulk reads it in archives only).
func TestSidecarNames(t *testing.T) {
	tests := []struct {
		pdf, side string
		paired    bool // the drop folder pairs them
		// held: the name is held back as the PDF's sidecar in processing/
		// (pairedIn), which reads a sidecar's extension in any case.
		held bool
	}{
		{"x.pDf", "x.json", true, true},
		{"x.PDF", "x.json", true, true},
		{"x.pdf", "x.yaml", true, true},
		{"x.Pdf", "x.yml", true, true},
		{"x.pdf", "x.YML", true, true},
		{"x.pdf", "x.pdf.json", false, false},
		{"x.pDf", "x.pDf.yaml", false, false},
		{"x.pdf", "x.Json", true, true},
		{"x.PDF", "x.yAmL", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.pdf+"+"+tt.side, func(t *testing.T) {
			dir := t.TempDir()
			for _, name := range []string{tt.pdf, tt.side} {
				if err := os.WriteFile(filepath.Join(dir, name), []byte("x: 1"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			want := ""
			if tt.paired {
				want = tt.side
			}
			if got := sidecarIn(dir, tt.pdf); got != want {
				t.Errorf("sidecarIn(%s) = %q, want %q", tt.pdf, got, want)
			}
			if got := pairedIn(dir, tt.side); got != tt.held {
				t.Errorf("pairedIn(%s) = %t, want %t", tt.side, got, tt.held)
			}
		})
	}
}
