package docbridge

import "testing"

func TestAppointmentNewerThan(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"2026-07-18T10:00:00+02:00", "2026-07-17T09:00:00+02:00", true},
		{"2026-07-17T09:00:00+02:00", "2026-07-18T10:00:00+02:00", false},
		{"2026-07-18T08:00:00Z", "2026-07-18T09:30:00+02:00", true}, // instants, not text
		{"2026-07-18T10:00:00+02:00", "2026-07-18T10:00:00+02:00", false},
		{"", "2026-07-18T10:00:00+02:00", false},
		{"2026-07-18T10:00:00+02:00", "", false},
	}
	for _, tt := range tests {
		a, b := &Appointment{EventTime: tt.a}, &Appointment{EventTime: tt.b}
		if got := a.NewerThan(b); got != tt.want {
			t.Errorf("%q NewerThan %q = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestProfileAgendaTakes(t *testing.T) {
	tests := []struct {
		types         []string
		typeCode, svc string
		want          bool
	}{
		{nil, "NORMAL", "IRM", true},
		{[]string{"IRM"}, "NORMAL", "IRM", true},
		{[]string{"NORMAL"}, "NORMAL", "IRM", true},
		{[]string{"SCANNER"}, "NORMAL", "IRM", false},
		{[]string{""}, "", "", false},
	}
	for _, tt := range tests {
		if got := (&ProfileAgenda{Enabled: true, Types: tt.types}).Takes(tt.typeCode, tt.svc); got != tt.want {
			t.Errorf("Types %v Takes(%q, %q) = %v, want %v", tt.types, tt.typeCode, tt.svc, got, tt.want)
		}
	}
}
