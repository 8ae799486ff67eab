package main

import (
	"testing"
	"time"

	"github.com/docbridge/docbridge/mes/messim"
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
		var o messim.Options
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

func TestParseLatency(t *testing.T) {
	for _, tt := range []struct {
		spec            string
		latency, jitter time.Duration
		ok              bool
	}{
		{"100ms", 100 * time.Millisecond, 0, true},
		{"100ms±20ms", 100 * time.Millisecond, 20 * time.Millisecond, true},
		{"1s+-250ms", time.Second, 250 * time.Millisecond, true},
		{"0s", 0, 0, true},
		{"100", 0, 0, false},
		{"100ms±200ms", 0, 0, false},
		{"-5ms", 0, 0, false},
		{"100ms±", 0, 0, false},
		{"", 0, 0, false},
	} {
		l, j, err := parseLatency(tt.spec)
		if (err == nil) != tt.ok {
			t.Errorf("parseLatency(%q) error %v, want ok %v", tt.spec, err, tt.ok)
			continue
		}
		if err != nil && exitCode(err) != 2 {
			t.Errorf("parseLatency(%q): exit code %d, want 2", tt.spec, exitCode(err))
		}
		if l != tt.latency || j != tt.jitter {
			t.Errorf("parseLatency(%q) = %v, %v; want %v, %v", tt.spec, l, j, tt.latency, tt.jitter)
		}
	}
}
