package mes

import (
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"0", 0},
		{"-5", 0},
		{"30", 30 * time.Second},
		{" 7 ", 7 * time.Second},
		{"Sun, 01 Mar 2026 12:02:00 GMT", 2 * time.Minute},
		{"Sun, 01 Mar 2026 11:00:00 GMT", 0},
		{"soon", 0},
		{"99999999999999999999", 0},
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.in, now); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestResourceID(t *testing.T) {
	tests := []struct{ body, location, want string }{
		{`{"resourceType":"DocumentReference","id":"a"}`, "", "a"},
		{`{"resourceType":"OperationOutcome","id":"oo"}`, "/DocumentReference/b/_history/1", "b"},
		{"", "https://x/api/DocumentReference/c?x=1", "c"},
		{"", "", ""},
	}
	for _, tt := range tests {
		if got := resourceID([]byte(tt.body), tt.location); got != tt.want {
			t.Errorf("resourceID(%q, %q) = %q, want %q", tt.body, tt.location, got, tt.want)
		}
	}
}
