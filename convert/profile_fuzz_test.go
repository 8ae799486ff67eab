package convert

import (
	"testing"

	"github.com/docbridge/docbridge/convert/internal/golden"
)

// FuzzParseProfile feeds profile files to ParseProfile: it never panics,
// and a profile it accepts passes CheckProfile and fills documents only
// with codings the value sets give.
func FuzzParseProfile(f *testing.F) {
	for _, s := range []string{
		"facility_type: SA25\npractice_setting: AMBULATOIRE\n",
		"custodian: {id: \"1.2.250.1.71.4.2.2^1999999901\", name: Cabinet}\nauthor: {id: \"10000000001\", name: Dr X, specialty: G15_10/SM54}\n",
		"confidentiality: N\nlanguage: fr-FR\ndocument_type: 11502-2\n",
		"name: x\n", "facility_type: [\n", "",
	} {
		f.Add([]byte(s))
	}
	m := golden.Mappings(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParseProfile(data, m)
		if err != nil {
			return
		}
		if err := CheckProfile(p, m); err != nil {
			t.Fatalf("ParseProfile accepted a profile CheckProfile refuses: %v", err)
		}
		v, errs := resolveProfile(&p, m)
		if len(errs) > 0 {
			t.Fatalf("resolveProfile: %+v", errs)
		}
		if p.FacilityType != "" && v.facility.System == "" {
			t.Fatalf("facility type %q without a system", p.FacilityType)
		}
	})
}
