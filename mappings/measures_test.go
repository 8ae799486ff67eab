package mappings

import (
	"errors"
	"strings"
	"testing"
)

// TestMeasureConvert checks routing, unit aliases, conversions to the
// profile's unit and ranges.
func TestMeasureConvert(t *testing.T) {
	tests := []struct {
		code, value, unit string
		profile, want     string
		inRange           bool
		err               error
	}{
		{"29463-7", "71.5", "kg", "body-weight", "71.5", true, nil},
		{"3141-9", "3900", "g", "body-weight", "3.9", true, nil},
		{"29463-7", "150", "lb", "body-weight", "68.04", true, nil},
		{"29463-7", "71.5", "cm", "body-weight", "", false, ErrUnit},
		{"8302-2", "1.72", "m", "body-height", "172", true, nil},
		{"8310-5", "98.6", "°F", "body-temperature", "37", true, nil},
		{"8310-5", "37.2", "°C", "body-temperature", "37.2", true, nil},
		{"8480-6", "16", "kPa", "bp", "120.01", true, nil},
		{"2345-7", "5.5", "mmol/l", "glucose", "99.09", true, nil},
		{"2345-7", "0.92", "g/l", "glucose", "92", true, nil},
		{"4548-4", "6.4", "%", "hba1c", "6.4", true, nil},
		{"4548-4", "46", "mmol/mol", "hba1c", "", false, ErrUnit},
		{"2708-6", "0.97", "1", "oxygen-sat", "97", true, nil},
		{"8867-4", "72", "bpm", "heartrate", "72", true, nil},
		{"72514-3", "3.5", "1", "pain-severity", "3.5", false, nil},
		{"29463-7", "0.1", "kg", "body-weight", "0.1", false, nil},
	}
	for _, tc := range tests {
		p, ok := MeasureRoute(tc.code)
		if !ok || p.Name != tc.profile {
			t.Errorf("MeasureRoute(%s) = %q, %v; want %s", tc.code, p.Name, ok, tc.profile)
			continue
		}
		u, known := UCUMUnit(tc.unit)
		if !known {
			if tc.err == nil {
				t.Errorf("UCUMUnit(%q) unknown", tc.unit)
			}
			continue
		}
		got, err := p.Convert(tc.value, u)
		if !errors.Is(err, tc.err) || got != tc.want {
			t.Errorf("%s %s %s → %q, %v; want %q, %v", tc.code, tc.value, tc.unit, got, err, tc.want, tc.err)
		}
		if err == nil && p.InRange(got) != tc.inRange {
			t.Errorf("%s %s: InRange = %v, want %v", tc.profile, got, !tc.inRange, tc.inRange)
		}
	}
	if g, _ := MeasureRoute("1558-6"); g.Moment("1558-6") != "53049-3" || g.Moment("2345-7") != "" {
		t.Error("a fasting glucose (1558-6) must imply the fasting moment 53049-3, and only it")
	}
	if _, ok := MeasureRoute(BMI); ok || !IsBMI(BMI) {
		t.Error("BMI must be recognised and routed nowhere")
	}
	for name, url := range DefaultMeasureCanonicals() {
		if !strings.HasPrefix(url, MeasureCanonicalBase+"mes") {
			t.Errorf("canonical of %s = %q", name, url)
		}
	}
}
