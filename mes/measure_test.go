package mes_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/mappings"
	"github.com/docbridge/docbridge/mes"
	"github.com/docbridge/docbridge/mes/messim"
)

// measureDoc is a final measurement of profile for insA, as the converters
// make it.
func measureDoc(profile, value string, comps ...docbridge.MeasureComponent) *docbridge.Document {
	p, ok := mappings.MeasureProfileNamed(profile)
	if !ok {
		panic("unknown profile " + profile)
	}
	m := &docbridge.Measurement{Profile: profile, Code: p.Code, Value: value, Components: comps,
		Effective: "2025-01-14T09:10:00+01:00", Status: "final", Key: []string{"APP^FAC", "O1", p.Code.Code, "20250114091000"}, Device: "APP^FAC"}
	if value != "" {
		m.Unit = p.Unit
	}
	d := &docbridge.Document{Kind: docbridge.KindMeasurement, Action: docbridge.Create, UniqueID: docbridge.MeasurementID(append(m.Key, profile)...),
		Measurement: m, Patient: docbridge.Patient{INS: insA, INSSystem: insSystem}}
	return d
}

// measureDocs is one measurement of every profile docbridge sends.
func measureDocs() map[string]*docbridge.Document {
	bp := []docbridge.MeasureComponent{
		{Code: docbridge.Coding{System: mappings.LOINC, Code: mappings.Systolic}, Value: "128", Unit: "mm[Hg]"},
		{Code: docbridge.Coding{System: mappings.LOINC, Code: mappings.Diastolic}, Value: "79", Unit: "mm[Hg]"},
	}
	return map[string]*docbridge.Document{
		"body-weight": measureDoc("body-weight", "71.5"), "body-height": measureDoc("body-height", "172"),
		"body-temperature": measureDoc("body-temperature", "37.2"), "bp": measureDoc("bp", "", bp...),
		"heartrate": measureDoc("heartrate", "72"), "oxygen-sat": measureDoc("oxygen-sat", "98"),
		"resp-rate": measureDoc("resp-rate", "16"), "glucose": measureDoc("glucose", "99.09"),
		"hba1c": measureDoc("hba1c", "6.4"), "waist-circumference": measureDoc("waist-circumference", "88"),
		"head-circumference": measureDoc("head-circumference", "35"), "pain-severity": measureDoc("pain-severity", "3"),
		"steps-by-day": measureDoc("steps-by-day", "8000"),
	}
}

func measureClient(base string) *mes.Client { return measureClientWith(base, nil) }

func measureClientWith(base string, hc *http.Client) *mes.Client {
	return mes.NewClient(mes.Options{BaseURL: base, HTTPClient: hc, MeasureCanonicals: mappings.DefaultMeasureCanonicals()})
}

func measurePairing(token string) docbridge.Pairing {
	p := pairingFor("mes-patient-1", insA, token)
	p.Scopes = []string{docbridge.ScopeDocuments, docbridge.ScopeMeasurements}
	return p
}

// TestMeasurementBundleGolden pins the Bundle of a weight and of a blood
// pressure (go test ./mes -update rewrites testdata/mesure-*.golden.json;
// review the diff).
func TestMeasurementBundleGolden(t *testing.T) {
	c := measureClient("http://mes.invalid")
	for _, name := range []string{"body-weight", "bp", "glucose"} {
		b, err := c.MeasurementBundle(measureDocs()[name], measurePairing("t"))
		if err != nil {
			t.Fatal(err)
		}
		var pretty bytes.Buffer
		json.Indent(&pretty, b, "", "  ")
		pretty.WriteByte('\n')
		golden(t, "mesure-"+name+".golden.json", pretty.Bytes())
	}
}

// TestMeasurementBundleValid builds the Bundle of every profile and checks
// it and its resources against the R4 schema, and what MES requires: the
// Device conditional and PhdDevice, meta.profile, the subject as the MES
// person id and never the INS, the profile's unit.
func TestMeasurementBundleValid(t *testing.T) {
	c := measureClient("http://mes.invalid")
	p := measurePairing("t")
	for name, d := range measureDocs() {
		t.Run(name, func(t *testing.T) {
			b, err := c.MeasurementBundle(d, p)
			if err != nil {
				t.Fatal(err)
			}
			validateR4(t, name+" bundle", b)
			s := string(b)
			if strings.Contains(s, insA) {
				t.Error("the bundle carries the INS")
			}
			for _, want := range []string{`"type":"transaction"`, `"ifNoneExist":"identifier=urn:oid:`, "PhdDevice",
				`"value":"mes-patient-1"`, mappings.DefaultMeasureCanonicals()[name], `"identifier":[{"system":"urn:ietf:rfc:3986","value":"` + d.UniqueID} {
				if !strings.Contains(s, want) {
					t.Errorf("the bundle has no %s:\n%s", want, s)
				}
			}
		})
	}
}

// TestDeliverMeasurement delivers every profile to the simulator, which
// checks it as MES would: each is created once (201), sent again it is
// "already there" (a Receipt with Duplicate), and what the simulator holds
// is in the profile's unit for the pairing's MES person id.
func TestDeliverMeasurement(t *testing.T) {
	sim, ts := messim.NewTestServer(t, messim.Options{})
	token := sim.AddPatient("mes-patient-1", insA, insSystem)
	c := measureClient(ts.URL)
	p := measurePairing(token)
	docs := measureDocs()
	for name, d := range docs {
		for i, dup := range []bool{false, true} {
			r, err := c.Deliver(context.Background(), d, nil, p)
			if err != nil {
				t.Fatalf("%s send %d: %v", name, i+1, err)
			}
			if r.Duplicate != dup || !strings.HasPrefix(r.MESID, "Observation/") {
				t.Errorf("%s send %d: receipt %+v, want Duplicate %v and an Observation location", name, i+1, r, dup)
			}
		}
	}
	got := sim.Measurements()
	if len(got) != len(docs) {
		t.Fatalf("the simulator holds %d measurements, want %d", len(got), len(docs))
	}
	for _, m := range got {
		if m.Patient != "mes-patient-1" || m.Resends != 1 {
			t.Errorf("%s: patient %q, resends %d", m.Profile, m.Patient, m.Resends)
		}
	}
}

// TestDeliverMeasurementRefusals: what docbridge must not send is not
// sent, and a pairing without the mesures scope sends nothing.
func TestDeliverMeasurementRefusals(t *testing.T) {
	sim, ts := messim.NewTestServer(t, messim.Options{})
	token := sim.AddPatient("mes-patient-1", insA, insSystem)
	c := measureClient(ts.URL)
	corrected := measureDoc("body-weight", "72")
	corrected.Measurement.Status = "corrected"
	tests := []struct {
		name    string
		d       *docbridge.Document
		p       docbridge.Pairing
		want    docbridge.Reason
		options mes.Options
	}{
		{"documents-only pairing", measureDoc("body-weight", "71.5"), pairingFor("mes-patient-1", insA, token), docbridge.ScopeMissing, mes.Options{}},
		{"corrected", corrected, measurePairing(token), docbridge.NotFinal, mes.Options{}},
		{"no canonical", measureDoc("body-weight", "71.5"), measurePairing(token), docbridge.Internal, mes.Options{MeasureCanonicals: map[string]string{}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cl := c
			if tc.options.MeasureCanonicals != nil {
				tc.options.BaseURL = ts.URL
				cl = mes.NewClient(tc.options)
			}
			if _, err := cl.Deliver(context.Background(), tc.d, nil, tc.p); docbridge.ReasonOf(err) != tc.want {
				t.Errorf("err = %v, want %s", err, tc.want)
			}
		})
	}
	if n := sim.Requests(); n != 0 {
		t.Errorf("%d requests reached the simulator", n)
	}
}

// TestSimulatorMeasureChecks mutates a valid Bundle into each of the
// refusals MES publishes and checks the simulator answers them as MES
// would, and the client classifies them (MESRejected; 403 for another
// patient).
func TestSimulatorMeasureChecks(t *testing.T) {
	sim, ts := messim.NewTestServer(t, messim.Options{})
	token := sim.AddPatient("mes-patient-1", insA, insSystem)
	valid, err := measureClient(ts.URL).MeasurementBundle(measureDocs()["body-weight"], measurePairing(token))
	if err != nil {
		t.Fatal(err)
	}
	edit := func(f func(obs, dev map[string]any, entries []any) []any) []byte {
		var b map[string]any
		json.Unmarshal(valid, &b)
		entries := b["entry"].([]any)
		dev := entries[0].(map[string]any)["resource"].(map[string]any)
		obs := entries[1].(map[string]any)["resource"].(map[string]any)
		b["entry"] = f(obs, dev, entries)
		out, _ := json.Marshal(b)
		return out
	}
	tests := []struct {
		name   string
		body   []byte
		status int
		diag   string
	}{
		{"valid", valid, 200, ""},
		{"no device", edit(func(obs, dev map[string]any, e []any) []any { return e[1:] }), 422, "conditional creation of a device"},
		{"device not conditional", edit(func(obs, dev map[string]any, e []any) []any {
			delete(e[0].(map[string]any)["request"].(map[string]any), "ifNoneExist")
			return e
		}), 422, "conditional creation of a device"},
		{"no meta.profile", edit(func(obs, dev map[string]any, e []any) []any { delete(obs, "meta"); return e }), 422, "meta.profile is mandatory"},
		{"BMI", edit(func(obs, dev map[string]any, e []any) []any {
			obs["code"] = map[string]any{"coding": []any{map[string]any{"system": "http://loinc.org", "code": "39156-5"}}}
			return e
		}), 422, "Bmi observation cannot be created"},
		{"no value", edit(func(obs, dev map[string]any, e []any) []any { delete(obs, "valueQuantity"); return e }), 422, "value quantity not provided"},
		{"another patient", edit(func(obs, dev map[string]any, e []any) []any {
			obs["subject"].(map[string]any)["identifier"].(map[string]any)["value"] = "mes-patient-2"
			return e
		}), 403, "idPe"},
		{"wrong unit", edit(func(obs, dev map[string]any, e []any) []any {
			q := obs["valueQuantity"].(map[string]any)
			q["code"], q["value"] = "g", 71500
			return e
		}), 422, "UCUM code kg"},
		{"device not referenced", edit(func(obs, dev map[string]any, e []any) []any { delete(obs, "device"); return e }), 422, "device.reference is mandatory"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := newRequest(ts.URL+"/mesures", token, tc.body)
			resp, err := ts.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var buf bytes.Buffer
			buf.ReadFrom(resp.Body)
			if resp.StatusCode != tc.status || !strings.Contains(buf.String(), tc.diag) {
				t.Errorf("HTTP %d %s, want %d with %q", resp.StatusCode, buf.String(), tc.status, tc.diag)
			}
		})
	}
}

// TestFHIRValidateMeasurements runs the independent validator of
// ../shared/tools/fhir-validate over the Bundle of every profile when it
// is installed (FHIR_VALIDATE_DIR, as TestFHIRValidateTool).
func TestFHIRValidateMeasurements(t *testing.T) {
	dir := os.Getenv("FHIR_VALIDATE_DIR")
	if dir == "" {
		t.Skip("FHIR_VALIDATE_DIR not set: the npm validator is not installed")
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node not found")
	}
	c := measureClient("http://mes.invalid")
	var files []string
	tmp := t.TempDir()
	for name, d := range measureDocs() {
		b, err := c.MeasurementBundle(d, measurePairing("t"))
		if err != nil {
			t.Fatal(err)
		}
		f := filepath.Join(tmp, fmt.Sprintf("mesure-%s.json", name))
		os.WriteFile(f, b, 0o600)
		files = append(files, f)
	}
	cmd := exec.Command("node", append([]string{filepath.Join(dir, "validate.mjs")}, files...)...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("fhir-validate: %v\n%s", err, out)
	}
	t.Logf("fhir-validate over %d bundles: %s", len(files), bytes.TrimSpace(out))
}

// newRequest is a Mesures POST with the bearer token.
func newRequest(url, token string, body []byte) (*http.Request, error) {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/fhir+json")
	return req, nil
}

// TestDeliverMeasurementLostAnswer: MES took the measurement but its
// answer was lost; sent again, it is "already there", and MES holds it
// once.
func TestDeliverMeasurementLostAnswer(t *testing.T) {
	sim, ts := messim.NewTestServer(t, messim.Options{LoseAnswers: messim.LoseFirst(1)})
	token := sim.AddPatient("mes-patient-1", insA, insSystem)
	c := measureClient(ts.URL)
	d := measureDocs()["glucose"]
	if _, err := c.Deliver(context.Background(), d, nil, measurePairing(token)); docbridge.ReasonOf(err) != docbridge.MESUnavailable {
		t.Fatalf("lost answer: err = %v, want mes-unavailable", err)
	}
	r, err := c.Deliver(context.Background(), d, nil, measurePairing(token))
	if err != nil || !r.Duplicate {
		t.Fatalf("resend: %+v, %v; want a duplicate receipt", r, err)
	}
	if n := len(sim.Measurements()); n != 1 {
		t.Errorf("the simulator holds %d measurements, want 1", n)
	}
}
