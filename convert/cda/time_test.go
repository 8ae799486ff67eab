package cda

import (
	"testing"
	"time"

	"github.com/docbridge/docbridge/convert/internal/dates"
)

func TestParseTS(t *testing.T) {
	paris, err := dates.Location(nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		in         string
		want       string
		wantOffset bool
		wantDate   bool
	}{
		// With an offset: kept as given.
		{"20210401134745+0100", "2021-04-01T13:47:45+01:00", true, false},
		{"20210704134745+0200", "2021-07-04T13:47:45+02:00", true, false},
		{"201308010500-0800", "2013-08-01T05:00:00-08:00", true, false},
		{"20210104134700+0000", "2021-01-04T13:47:00+00:00", true, false},
		{"202101040735+0100", "2021-01-04T07:35:00+01:00", true, false},
		{"2021010407+0530", "2021-01-04T07:00:00+05:30", true, false},
		{"20210401134745.123+0100", "2021-04-01T13:47:45.123+01:00", true, false},
		// Without an offset: Europe/Paris, winter and summer time.
		{"20210115120000", "2021-01-15T12:00:00+01:00", false, false},
		{"20210715120000", "2021-07-15T12:00:00+02:00", false, false},
		{" 20210715120000 ", "2021-07-15T12:00:00+02:00", false, false},
		// Around the DST changes of 2021 (28 March, 31 October).
		{"20210328015959", "2021-03-28T01:59:59+01:00", false, false},
		{"20210328030000", "2021-03-28T03:00:00+02:00", false, false},
		{"20211031035959", "2021-10-31T03:59:59+01:00", false, false},
		{"20211031015959", "2021-10-31T01:59:59+02:00", false, false},
		// Date precisions carry no offset.
		{"19790328", "1979-03-28", false, true},
		{"197903", "1979-03", false, true},
		{"1979", "1979", false, true},
		{"20201231+0100", "2020-12-31", true, true},
	}
	for _, tt := range tests {
		got, err := parseTS(tt.in, paris)
		if err != nil {
			t.Errorf("parseTS(%q) error: %v", tt.in, err)
			continue
		}
		if got.Value != tt.want || got.HasOffset != tt.wantOffset || got.Date != tt.wantDate || got.Source != tt.in {
			t.Errorf("parseTS(%q) = %+v, want Value %q HasOffset %v Date %v Source %q",
				tt.in, got, tt.want, tt.wantOffset, tt.wantDate, tt.in)
		}
	}
}

// TestParseTSDSTChange checks wall-clock times that do not exist (spring
// forward) or exist twice (fall back) in Paris get the instant time.Date
// chooses, and a valid RFC 3339 value.
func TestParseTSDSTChange(t *testing.T) {
	paris, err := dates.Location(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		in   string
		wall time.Time
	}{
		{"20210328023000", time.Date(2021, 3, 28, 2, 30, 0, 0, paris)},  // does not exist
		{"20211031023000", time.Date(2021, 10, 31, 2, 30, 0, 0, paris)}, // exists twice
	} {
		got, err := parseTS(tt.in, paris)
		if err != nil {
			t.Fatal(err)
		}
		if want := tt.wall.Format("2006-01-02T15:04:05-07:00"); got.Value != want {
			t.Errorf("parseTS(%q) = %q, want %q", tt.in, got.Value, want)
		}
		if _, err := time.Parse(time.RFC3339, got.Value); err != nil {
			t.Errorf("parseTS(%q) = %q, not RFC 3339: %v", tt.in, got.Value, err)
		}
	}
}

func TestParseTSOtherZone(t *testing.T) {
	ny := time.FixedZone("test", -5*3600)
	got, err := parseTS("20210715120000", ny)
	if err != nil {
		t.Fatal(err)
	}
	if want := "2021-07-15T12:00:00-05:00"; got.Value != want {
		t.Errorf("parseTS in a -05:00 zone = %q, want %q", got.Value, want)
	}
}

func TestParseTSInvalid(t *testing.T) {
	for _, in := range []string{
		"", "2021", "2021-04-01", "20210230", "20211301", "20210401246000", "2021040113474",
		"20210401134745+01", "20210401134745+2500", "20210401134745.", "202104011347.12",
		"20210401134745.1234567890", "abcd", "20210401134745+01:00", "+0100",
	} {
		if in == "2021" {
			continue // valid: year precision
		}
		if got, err := parseTS(in, time.UTC); err == nil {
			t.Errorf("parseTS(%q) = %+v, want an error", in, got)
		}
	}
}

func TestDateOnly(t *testing.T) {
	tests := []struct{ in, want string }{
		{"19790328", "1979-03-28"},
		{"197903281230", "1979-03-28"},
		{"19790328233000+0100", "1979-03-28"},
		{"197903", "1979-03"},
	}
	for _, tt := range tests {
		got, err := dateOnly(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("dateOnly(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	if _, err := dateOnly("19790230"); err == nil {
		t.Error("dateOnly(19790230) succeeded, want an error")
	}
}
