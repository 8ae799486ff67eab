package bulk

import (
	"os"
	"path/filepath"
	"testing"
)

// TestSidecarNames checks bulk's side of the sidecar naming rule (package
// sidecarname) on the forms watch's TestSidecarNames checks too: a PDF
// pairs with its sidecar as in the drop folder (DropSidecar, which inspect
// uses), whatever the case of .pdf; an archive also reads the
// practice-software form (sidecarOf). The walker leaves out exactly the
// sidecar taken (isSidecar).
func TestSidecarNames(t *testing.T) {
	tests := []struct {
		pdf, side string
		drop      bool // the drop folder (and inspect) pairs them
		archive   bool // an archive pairs them
	}{
		{"x.pDf", "x.json", true, true},
		{"x.PDF", "x.json", true, true},
		{"x.pdf", "x.yaml", true, true},
		{"x.Pdf", "x.yml", true, true},
		{"x.pdf", "x.YML", true, true},
		{"x.pdf", "x.pdf.json", false, true},
		{"x.pDf", "x.pDf.yaml", false, true},
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
			pdf, side := filepath.Join(dir, tt.pdf), filepath.Join(dir, tt.side)
			want := func(ok bool) string {
				if ok {
					return side
				}
				return ""
			}
			if got := DropSidecar(pdf); got != want(tt.drop) {
				t.Errorf("DropSidecar(%s) = %q, want %q", tt.pdf, got, want(tt.drop))
			}
			if got := sidecarOf(pdf); got != want(tt.archive) {
				t.Errorf("sidecarOf(%s) = %q, want %q", tt.pdf, got, want(tt.archive))
			}
			if got := isSidecar(side); got != tt.archive {
				t.Errorf("isSidecar(%s) = %t, want %t", tt.side, got, tt.archive)
			}
		})
	}
}
