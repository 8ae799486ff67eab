package mappings

import (
	"os"
	"path/filepath"
	"testing"
)

// TestCode: a bare code is found in whatever system of the value set
// holds it, a local code through local-codes.yaml; unknown codes and
// unknown value sets are not.
func TestCode(t *testing.T) {
	dir := t.TempDir()
	local := "- valueSet: JDV_J07\n  from: {system: 1.2.250.1.999.1, code: CRBIO}\n  to: {system: 2.16.840.1.113883.6.1, code: 11502-2}\n"
	if err := os.WriteFile(filepath.Join(dir, LocalCodesFile), []byte(local), 0o600); err != nil {
		t.Fatal(err)
	}
	s := mustLoad(t, dir)
	tests := []struct {
		vs, code   string
		wantSystem string // "" for not found
		wantCode   string
	}{
		{FacilityTypes, "SA25", "urn:oid:1.2.250.1.71.4.2.4", "SA25"},
		{PracticeSettings, " AMBULATOIRE ", "urn:oid:1.2.250.1.213.1.1.4.9", "AMBULATOIRE"},
		{TypeCodes, "11502-2", LOINC, "11502-2"},
		{TypeCodes, "CRBIO", LOINC, "11502-2"},
		{Confidentiality, "N", HL7Confidentiality, "N"},
		{AuthorSpecialty, "G15_10/SM54", "urn:oid:1.2.250.1.213.1.1.4.5", "G15_10/SM54"},
		{FacilityTypes, "SA99", "", ""},
		{FacilityTypes, "", "", ""},
		{"JDV_X99", "SA25", "", ""},
	}
	for _, tt := range tests {
		c, ok := s.Code(tt.vs, tt.code)
		if ok != (tt.wantSystem != "") || c.System != tt.wantSystem || c.Code != tt.wantCode {
			t.Errorf("Code(%s, %q) = %+v, %v; want %s|%s", tt.vs, tt.code, c, ok, tt.wantSystem, tt.wantCode)
		}
		if ok && c.Display == "" {
			t.Errorf("Code(%s, %q) has no display", tt.vs, tt.code)
		}
	}
}
