package dates

import (
	"errors"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skip("no zone database:", err)
	}
	tests := []struct {
		in     string
		want   Time
		failed bool
	}{
		{in: "2025-03-01", want: Time{Value: "2025-03-01", Date: true, Offset: true}},
		{in: "2025-03", want: Time{Value: "2025-03", Date: true, Offset: true}},
		{in: "2025", want: Time{Value: "2025", Date: true, Offset: true}},
		{in: "20250301", want: Time{Value: "2025-03-01", Source: "20250301", Date: true, Offset: true}},
		{in: "2025-04-29T17:00:00+01:00", want: Time{Value: "2025-04-29T17:00:00+01:00", Offset: true}},
		{in: "2025-04-29T17:00:00Z", want: Time{Value: "2025-04-29T17:00:00Z", Offset: true}},
		{in: "2025-04-29T17:00:00.250-03:30", want: Time{Value: "2025-04-29T17:00:00.250-03:30", Offset: true}},
		{in: "2025-07-01T10:30", want: Time{Value: "2025-07-01T10:30:00+02:00", Source: "2025-07-01T10:30"}},
		{in: "2025-01-15T10:30:00", want: Time{Value: "2025-01-15T10:30:00+01:00", Source: "2025-01-15T10:30:00"}},
		{in: "202507011030", want: Time{Value: "2025-07-01T10:30:00+02:00", Source: "202507011030"}},
		{in: "20250115103045", want: Time{Value: "2025-01-15T10:30:45+01:00", Source: "20250115103045"}},
		{in: "2025-02-30", failed: true},
		{in: "2025-13", failed: true},
		{in: "2025-04-29T25:00:00Z", failed: true},
		{in: "2025-04-29T17:00:00+1:00", failed: true},
		{in: "2025-04-29T17:00.5Z", failed: true},
		{in: "2025-04-29T17:00:00.Z", failed: true},
		{in: "2025-04-29T17:00:00+15:00", failed: true},
		{in: "2025-4-29", failed: true},
		{in: "1er mars", failed: true},
		{in: "", failed: true},
		{in: "202503", failed: true},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in, paris)
		if tt.failed {
			if !errors.Is(err, ErrSyntax) {
				t.Errorf("Parse(%q) = %+v, %v; want ErrSyntax", tt.in, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

// TestLocation checks the default zone is Europe/Paris and a configured
// zone is kept.
func TestLocation(t *testing.T) {
	if _, err := time.LoadLocation("Europe/Paris"); err != nil {
		t.Skip("no zone database:", err)
	}
	if l, err := Location(nil); err != nil || l.String() != "Europe/Paris" {
		t.Errorf("Location(nil) = %v, %v; want Europe/Paris", l, err)
	}
	if l, err := Location(time.UTC); err != nil || l != time.UTC {
		t.Errorf("Location(UTC) = %v, %v; want UTC", l, err)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"2025-03-01", "20250301", "2025-04-29T17:00:00+01:00", "2025-07-01T10:30", "202507011030"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := Parse(s, time.UTC)
		if err != nil {
			return
		}
		again, err := Parse(got.Value, time.UTC)
		if err != nil || again.Value != got.Value {
			t.Fatalf("Parse(%q) = %q, which reads back as %q, %v", s, got.Value, again.Value, err)
		}
	})
}
