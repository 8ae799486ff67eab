package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/docbridge/docbridge/mappings"
)

// TestMesuresConfig checks mes.scopes, mes.measure_profiles, the OIDs of
// mes.device_oid and mes.subject_system, and what they give the pairing
// and MES clients.
func TestMesuresConfig(t *testing.T) {
	const head = "data: /d\nmes: {base_url: http://x, "
	tests := []struct {
		name, mes string
		wantErr   []string
	}{
		{"scopes", "scopes: [documents, mesures, agenda]", nil},
		{"unknown scope", "scopes: [documents, measures]", []string{"mes.scopes", `"measures"`}},
		{"scope twice", "scopes: [mesures, mesures]", []string{"mes.scopes", "twice"}},
		{"canonical", "measure_profiles: {body-weight: 'http://esante.gouv.fr/ci-sis/fhir/StructureDefinition/ENS_FrObservationBodyWeight'}", nil},
		{"unknown profile", "measure_profiles: {bmi: 'https://x/y'}", []string{"mes.measure_profiles", `"bmi"`}},
		{"relative canonical", "measure_profiles: {bp: 'StructureDefinition/bp'}", []string{"mes.measure_profiles.bp"}},
		{"oids", "device_oid: 1.2.250.1.999.42.77, subject_system: 'urn:oid:1.2.250.1.999.42.78'", nil},
		{"bad oids", "device_oid: docbridge, subject_system: idpe", []string{"mes.device_oid", "mes.subject_system"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseConfig([]byte(head + tt.mes + "}\n"))
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("parseConfig: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("parseConfig: no error, want one containing %q", tt.wantErr)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}

	cfg, err := parseConfig([]byte(head + "scopes: [mesures], measure_profiles: {bp: 'https://x/bp'}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := cfg.MES.pairingScopes(), []string{"documents", "mesures"}; !slices.Equal(got, want) {
		t.Errorf("pairingScopes = %q, want %q", got, want)
	}
	canon := cfg.MES.measureCanonicals()
	if canon["bp"] != "https://x/bp" || canon["body-weight"] != mappings.DefaultMeasureCanonicals()["body-weight"] {
		t.Errorf("measureCanonicals = %v", canon)
	}
	cfg, _ = parseConfig([]byte("data: /d\nmes: {base_url: http://x}\n"))
	if got := cfg.MES.pairingScopes(); !slices.Equal(got, []string{"documents"}) {
		t.Errorf("default pairingScopes = %q, want documents", got)
	}
}
