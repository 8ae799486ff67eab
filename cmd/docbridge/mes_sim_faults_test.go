package main

import (
	"testing"

	"github.com/docbridge/docbridge/mes/mestest"
)

// TestParseFaults: each --faults form sets its fault, and anything else is
// a usage error.
func TestParseFaults(t *testing.T) {
	tests := []struct {
		spec       string
		fail, lose bool
	}{
		{"fail-first:3:503", true, false},
		{"lose-first:2", false, true},
		{"lose-first:x", false, false},
		{"lose-first:2:503", false, false},
		{"fail-first:3:200", false, false},
		{"drop-all", false, false},
	}
	for _, tt := range tests {
		var o mestest.Options
		err := parseFaults(tt.spec, &o)
		if got, want := err == nil, tt.fail || tt.lose; got != want {
			t.Errorf("parseFaults(%q) error %v, want ok %v", tt.spec, err, want)
		}
		if err != nil && exitCode(err) != 2 {
			t.Errorf("parseFaults(%q): exit code %d, want 2", tt.spec, exitCode(err))
		}
		if (o.Faults != nil) != tt.fail || (o.LoseAnswers != nil) != tt.lose {
			t.Errorf("parseFaults(%q) set faults %v, lose %v; want %v, %v", tt.spec, o.Faults != nil, o.LoseAnswers != nil, tt.fail, tt.lose)
		}
	}
}
