package docbridge

import "testing"

// TestPairingCovers: a pairing covers a kind when the patient granted its
// scope; one recorded before scopes were (none recorded) covers documents
// only, never measurements or appointments.
func TestPairingCovers(t *testing.T) {
	tests := []struct {
		scopes []string
		kind   Kind
		want   bool
	}{
		{nil, KindDocument, true},
		{nil, KindMeasurement, false},
		{nil, KindAppointment, false},
		{[]string{ScopeDocuments}, KindMeasurement, false},
		{[]string{ScopeDocuments, ScopeMeasurements}, KindMeasurement, true},
		{[]string{ScopeDocuments, ScopeMeasurements}, KindAppointment, false},
		{[]string{ScopeAgenda}, KindAppointment, true},
		{[]string{ScopeAgenda}, KindDocument, false},
	}
	for _, tt := range tests {
		if got := (Pairing{Scopes: tt.scopes}).Covers(tt.kind); got != tt.want {
			t.Errorf("Pairing{Scopes: %q}.Covers(%s) = %t, want %t", tt.scopes, tt.kind, got, tt.want)
		}
	}
}
