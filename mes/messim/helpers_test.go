package messim_test

import (
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/docbridge/docbridge/mes/messim"
)

const (
	insSystem = "urn:oid:1.2.250.1.213.1.4.10"
	insA      = "279035121518989"
	insB      = "180017512345678"
)

func cc(system, code string) map[string]any {
	return map[string]any{"coding": []any{map[string]any{"system": system, "code": code}}}
}

// validDoc returns, as a JSON tree, a DocumentReference the simulator
// accepts for patient P1 (insA), written by hand from the mes-api contract.
func validDoc(uniqueID string, content []byte) map[string]any {
	sum := sha1.Sum(content)
	return map[string]any{
		"resourceType":     "DocumentReference",
		"meta":             map[string]any{"profile": []any{"https://interop.esante.gouv.fr/ig/fhir/pdsm/StructureDefinition/pdsm-simplified-publish"}},
		"masterIdentifier": map[string]any{"system": "urn:ietf:rfc:3986", "value": uniqueID},
		"status":           "current",
		"type":             cc("http://loinc.org", "11502-2"),
		"category":         []any{cc("urn:oid:1.2.250.1.213.1.1.4.1", "10")},
		"subject": map[string]any{"reference": "Patient/P1",
			"identifier": map[string]any{"system": insSystem, "value": insA}},
		"date":          "2021-04-01T13:47:45+01:00",
		"author":        []any{map[string]any{"identifier": map[string]any{"system": "urn:oid:1.2.250.1.71.4.2.1", "value": "801234534765"}, "display": "Dr Test"}},
		"securityLabel": []any{cc("http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "N")},
		"context": map[string]any{
			"facilityType":    cc("urn:oid:1.2.250.1.71.4.2.4", "SA07"),
			"practiceSetting": cc("urn:oid:1.2.250.1.213.1.1.4.9", "AMBULATOIRE"),
			"period":          map[string]any{"start": "2021-01-04T13:47:00+01:00"},
		},
		"content": []any{map[string]any{
			"format": map[string]any{"system": "urn:oid:1.3.6.1.4.1.19376.1.2.3", "code": "urn:ihe:iti:xds-sd:pdf:2008"},
			"attachment": map[string]any{
				"contentType": "application/pdf",
				"language":    "fr-FR",
				"data":        base64.StdEncoding.EncodeToString(content),
				"size":        len(content),
				"hash":        base64.StdEncoding.EncodeToString(sum[:]),
				"title":       "Compte rendu",
				"creation":    "2021-04-01T13:47:45+01:00",
			},
		}},
	}
}

// at walks a dotted path ("content.0.attachment") to the parent of its last
// element and returns the parent and the last key.
func at(t *testing.T, m map[string]any, path string) (parent any, last string) {
	t.Helper()
	keys := strings.Split(path, ".")
	var cur any = m
	for _, k := range keys[:len(keys)-1] {
		switch c := cur.(type) {
		case map[string]any:
			cur = c[k]
		case []any:
			i, _ := strconv.Atoi(k)
			cur = c[i]
		}
	}
	return cur, keys[len(keys)-1]
}

func set(t *testing.T, m map[string]any, path string, v any) map[string]any {
	parent, k := at(t, m, path)
	parent.(map[string]any)[k] = v
	return m
}

func del(t *testing.T, m map[string]any, path string) map[string]any {
	parent, k := at(t, m, path)
	delete(parent.(map[string]any), k)
	return m
}

func mustJSON(t testing.TB, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sim is a simulator with patient P1 (insA) paired.
type sim struct {
	s   *messim.Server
	h   http.Handler
	tok string
}

func newSim(o messim.Options) *sim {
	s := messim.New(o)
	return &sim{s: s, h: s.Handler(), tok: s.AddPatient("P1", insA, "1.2.250.1.213.1.4.10")}
}

// do serves one request; header values override the defaults.
func (s *sim) do(method, target string, body []byte, header map[string]string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, bytes.NewReader(body))
	r.Header.Set("Authorization", "Bearer "+s.tok)
	r.Header.Set("Content-Type", "application/fhir+json")
	for k, v := range header {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	s.h.ServeHTTP(w, r)
	return w
}

func (s *sim) post(body []byte) *httptest.ResponseRecorder {
	return s.do(http.MethodPost, "/DocumentReference", body, nil)
}

type issue struct {
	Severity, Code, Diagnostics string
	Expression                  []string
}

// outcomeOf parses an OperationOutcome answer.
func outcomeOf(t testing.TB, w *httptest.ResponseRecorder) []issue {
	t.Helper()
	var oo struct {
		ResourceType string
		Issue        []issue
	}
	if err := json.Unmarshal(w.Body.Bytes(), &oo); err != nil || oo.ResourceType != "OperationOutcome" || len(oo.Issue) == 0 {
		t.Fatalf("HTTP %d body %q is not an OperationOutcome with issues (%v)", w.Code, w.Body.String(), err)
	}
	return oo.Issue
}
