package traits

import (
	"slices"
	"testing"

	"github.com/docbridge/docbridge"
)

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Marie-Anne d’Arc", "MARIE ANNE D ARC"},
		{"  éLODIE   Ç ", "ELODIE C"},
		{"O'NEIL", "O NEIL"},
		{"DOCBRIDGE-TEST", "DOCBRIDGE TEST"},
		{"", ""},
		{"--", ""},
	}
	for _, tt := range tests {
		if got := Normalize(tt.in); got != tt.want {
			t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

var camille = docbridge.Patient{
	INS: "285047505612322", INSSystem: "urn:oid:1.2.250.1.213.1.4.10",
	BirthName: "DOCBRIDGE-TEST", FirstNames: []string{"CAMILLE", "MARIE-ANNE"},
	BirthDate: "1985-04-17", Sex: "F", BirthPlace: "75056",
}

func TestCompareAndDisagree(t *testing.T) {
	with := func(f func(*docbridge.Patient)) docbridge.Patient { p := camille; f(&p); return p }
	tests := []struct {
		name         string
		a, b         docbridge.Patient
		compare, dis []string
	}{
		{"same", camille, camille, nil, nil},
		{"same after normalisation, OID written without urn:oid:", camille, with(func(p *docbridge.Patient) {
			p.BirthName, p.FirstNames, p.INSSystem = "Docbridge Test", []string{"Camille Marie Anne"}, "1.2.250.1.213.1.4.10"
		}), nil, nil},
		{"another INS", camille, with(func(p *docbridge.Patient) { p.INS = "192036912304577" }), []string{INS}, []string{INS}},
		{"another system", camille, with(func(p *docbridge.Patient) { p.INSSystem = "urn:oid:1.2.250.1.213.1.4.8" }), []string{INSSystem}, []string{INSSystem}},
		{"every trait", camille, docbridge.Patient{INS: "192036912304577", INSSystem: "urn:oid:1.2.250.1.213.1.4.8",
			BirthName: "AUTRE", FirstNames: []string{"JEAN"}, BirthDate: "1992-03-06", Sex: "M", BirthPlace: "69123"},
			[]string{INS, INSSystem, BirthName, FirstNames, BirthDate, Sex, BirthPlace}, []string{INS, INSSystem, BirthName, FirstNames, BirthDate, Sex, BirthPlace}},
		{"one side lacks traits: a difference, no disagreement", camille, docbridge.Patient{INS: camille.INS},
			[]string{INSSystem, BirthName, FirstNames, BirthDate, Sex, BirthPlace}, nil},
		{"one side lacks traits, another gives a different sex", docbridge.Patient{Sex: "M"}, camille,
			[]string{INS, INSSystem, BirthName, FirstNames, BirthDate, Sex, BirthPlace}, []string{Sex}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, d := range Compare(tt.a, tt.b) {
				got = append(got, d.Trait)
			}
			if !slices.Equal(got, tt.compare) {
				t.Errorf("Compare = %v, want %v", got, tt.compare)
			}
			if got := Disagree(tt.a, tt.b); !slices.Equal(got, tt.dis) {
				t.Errorf("Disagree = %v, want %v", got, tt.dis)
			}
			if got := Disagree(tt.b, tt.a); !slices.Equal(got, tt.dis) {
				t.Errorf("Disagree reversed = %v, want %v", got, tt.dis)
			}
		})
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"Marie-Anne d’Arc", "  éLODIE   Ç ", "O'NEIL", "--", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := Normalize(s)
		if Normalize(n) != n {
			t.Errorf("Normalize is not idempotent on %q: %q then %q", s, n, Normalize(n))
		}
	})
}
