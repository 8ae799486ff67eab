package messim_test

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/docbridge/docbridge/mes/messim"
	"github.com/google/go-cmp/cmp"
)

// The fullUrls of the hand-written bundle.
const (
	urnList   = "urn:uuid:00000000-0000-4000-8000-000000000001"
	urnDoc    = "urn:uuid:00000000-0000-4000-8000-000000000002"
	urnBinary = "urn:uuid:00000000-0000-4000-8000-000000000003"
	urnPatch  = "urn:uuid:00000000-0000-4000-8000-000000000004"
)

func ref(r string) map[string]any { return map[string]any{"reference": r} }

// validBundle returns, as a JSON tree, an ITI-65 transaction the simulator
// accepts for patient P1 (insA), written by hand from PDSm: SubmissionSet,
// DocumentReference, Binary.
func validBundle(uniqueID string, content []byte) map[string]any {
	sum := sha1.Sum(content)
	subject := map[string]any{"reference": "Patient/P1", "identifier": map[string]any{"system": insSystem, "value": insA}}
	role := map[string]any{"resourceType": "PractitionerRole", "id": "author", "practitioner": ref("#person")}
	person := map[string]any{"resourceType": "Practitioner", "id": "person", "identifier": []any{map[string]any{"system": "urn:oid:1.2.250.1.71.4.2.1", "value": "801234534765"}}}
	list := map[string]any{
		"resourceType": "List",
		"contained":    []any{role, person},
		"extension": []any{
			map[string]any{"url": "https://profiles.ihe.net/ITI/MHD/StructureDefinition/ihe-designationType", "valueCodeableConcept": cc("urn:oid:1.2.250.1.71.4.2.4", "SA07")},
			map[string]any{"url": "https://profiles.ihe.net/ITI/MHD/StructureDefinition/ihe-sourceId", "valueIdentifier": map[string]any{"system": "urn:ietf:rfc:3986", "value": "urn:oid:1.2.250.1.999.77"}},
		},
		"identifier": []any{map[string]any{"use": "usual", "system": "urn:ietf:rfc:3986", "value": "urn:oid:2.25.1"}},
		"status":     "current",
		"mode":       "working",
		"code":       cc("https://profiles.ihe.net/ITI/MHD/CodeSystem/MHDlistTypes", "submissionset"),
		"subject":    subject,
		"date":       "2026-03-01T10:00:00Z",
		"source":     ref("#author"),
		"entry":      []any{map[string]any{"item": ref(urnDoc)}},
	}
	doc := map[string]any{
		"resourceType": "DocumentReference",
		"meta":         map[string]any{"profile": []any{"https://interop.esante.gouv.fr/ig/fhir/pdsm/StructureDefinition/pdsm-comprehensive-document-reference"}},
		"contained": []any{role, person,
			map[string]any{"resourceType": "Organization", "id": "lab", "name": "Laboratoire"},
			map[string]any{"resourceType": "Patient", "id": "patient", "identifier": []any{map[string]any{"system": insSystem, "value": insA}}},
		},
		"masterIdentifier": map[string]any{"system": "urn:ietf:rfc:3986", "value": uniqueID},
		"status":           "current",
		"type":             cc("http://loinc.org", "11502-2"),
		"category":         []any{cc("urn:oid:1.2.250.1.213.1.1.4.1", "10")},
		"subject":          subject,
		"date":             "2026-03-01T10:00:00Z",
		"author":           []any{ref("#author")},
		"custodian":        ref("#lab"),
		"securityLabel":    []any{cc("http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "N")},
		"content": []any{map[string]any{
			"format": map[string]any{"system": "urn:oid:1.3.6.1.4.1.19376.1.2.3", "code": "urn:ihe:iti:xds-sd:pdf:2008"},
			"attachment": map[string]any{
				"contentType": "application/pdf",
				"language":    "fr-FR",
				"url":         urnBinary,
				"size":        len(content),
				"hash":        base64.StdEncoding.EncodeToString(sum[:]),
				"title":       "Compte rendu",
				"creation":    "2021-04-01T13:47:45+01:00",
			},
		}},
		"context": map[string]any{
			"period":            map[string]any{"start": "2021-01-04T13:47:00+01:00"},
			"facilityType":      cc("urn:oid:1.2.250.1.71.4.2.4", "SA07"),
			"practiceSetting":   cc("urn:oid:1.2.250.1.213.1.1.4.9", "AMBULATOIRE"),
			"sourcePatientInfo": ref("#patient"),
		},
	}
	entry := func(fullURL string, res map[string]any, method, u string) any {
		return map[string]any{"fullUrl": fullURL, "resource": res, "request": map[string]any{"method": method, "url": u}}
	}
	return deepCopy(map[string]any{
		"resourceType": "Bundle",
		"meta":         map[string]any{"profile": []any{"https://interop.esante.gouv.fr/ig/fhir/pdsm/StructureDefinition/pdsm-comprehensive-provide-document-bundle"}},
		"type":         "transaction",
		"entry": []any{
			entry(urnList, list, "POST", "List"),
			entry(urnDoc, doc, "POST", "DocumentReference"),
			entry(urnBinary, map[string]any{"resourceType": "Binary", "contentType": "application/pdf", "data": base64.StdEncoding.EncodeToString(content)}, "POST", "Binary"),
		},
	})
}

// deepCopy makes a tree whose parts are not shared (the List and the
// DocumentReference were built with the same subject and authors).
func deepCopy(m map[string]any) map[string]any {
	b, _ := json.Marshal(m)
	var out map[string]any
	json.Unmarshal(b, &out)
	return out
}

// conditional is the conditional reference to a uniqueId (a URI).
func conditional(uniqueID string) string {
	return "DocumentReference?" + url.Values{"identifier": {"urn:ietf:rfc:3986|" + uniqueID}}.Encode()
}

// supersede is the FHIRPath Patch of a replacement.
func supersede() map[string]any {
	return map[string]any{"resourceType": "Parameters", "parameter": []any{map[string]any{"name": "operation", "part": []any{
		map[string]any{"name": "type", "valueCode": "replace"},
		map[string]any{"name": "path", "valueString": "DocumentReference.status"},
		map[string]any{"name": "value", "valueCode": "superseded"},
	}}}}
}

// replacement returns a bundle of uniqueID replacing old: relatesTo on the
// DocumentReference and the patch entry, after the List.
func replacement(uniqueID, old string, content []byte) map[string]any {
	b := validBundle(uniqueID, content)
	entries := b["entry"].([]any)
	doc := entries[1].(map[string]any)["resource"].(map[string]any)
	doc["relatesTo"] = []any{map[string]any{"code": "replaces", "target": map[string]any{"reference": conditional(old)}}}
	patch := map[string]any{"fullUrl": urnPatch, "resource": supersede(), "request": map[string]any{"method": "PATCH", "url": conditional(old)}}
	b["entry"] = append([]any{entries[0], patch}, entries[1:]...)
	return b
}

func (s *sim) transaction(body []byte) *httptest.ResponseRecorder {
	return s.do(http.MethodPost, "/", body, nil)
}

type txAnswer struct {
	ResourceType, Type string
	Entry              []struct {
		Response struct{ Status, Location string }
	}
}

func txAnswerOf(t *testing.T, w *httptest.ResponseRecorder) txAnswer {
	t.Helper()
	var a txAnswer
	if err := json.Unmarshal(w.Body.Bytes(), &a); err != nil || a.Type != "transaction-response" {
		t.Fatalf("HTTP %d %s is not a transaction-response", w.Code, w.Body)
	}
	return a
}

func TestTransactionAccepts(t *testing.T) {
	s := newSim(messim.Options{Codes: refuse("none")})
	w := s.transaction(mustJSON(t, validBundle(uid, content)))
	if w.Code != http.StatusOK {
		t.Fatalf("HTTP %d %s, want 200", w.Code, w.Body)
	}
	docs := s.s.Documents()
	if len(docs) != 1 || docs[0].Profile != "pdsm-iti65" || docs[0].Size != int64(len(content)) {
		t.Fatalf("Documents() = %+v, want one through pdsm-iti65", docs)
	}
	a := txAnswerOf(t, w)
	var got []string
	for _, e := range a.Entry {
		got = append(got, e.Response.Status+" "+e.Response.Location)
	}
	id := docs[0].MESID
	want := []string{"201 Created List/ss-" + id + "/_history/1", "201 Created DocumentReference/" + id + "/_history/1", "201 Created Binary/" + id}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("answer (-want +got):\n%s", diff)
	}
	for _, pd := range []string{insA, "Laboratoire"} {
		if strings.Contains(w.Body.String(), pd) {
			t.Errorf("answer echoes %q", pd)
		}
	}

	again := s.transaction(mustJSON(t, validBundle(uid, content)))
	if again.Code != http.StatusOK || again.Header().Get("X-MES-Duplicate") != "true" || !strings.HasPrefix(txAnswerOf(t, again).Entry[1].Response.Status, "200") {
		t.Errorf("resend: HTTP %d %v %s; want 200, X-MES-Duplicate, entry 200", again.Code, again.Header(), again.Body)
	}
	if s.s.Count() != 1 {
		t.Errorf("Count() = %d, want 1", s.s.Count())
	}
}

// TestTransactionRequired removes each required element in turn.
func TestTransactionRequired(t *testing.T) {
	paths := []struct{ path, expr string }{
		{"meta", "Bundle.meta.profile"},
		{"entry.0.request", "Bundle.entry[0].request"},
		{"entry.0.resource.contained", "List.contained"},
		{"entry.0.resource.extension", "List.extension[designationType]"},
		{"entry.0.resource.identifier", "List.identifier[uniqueId]"},
		{"entry.0.resource.status", "List.status"},
		{"entry.0.resource.mode", "List.mode"},
		{"entry.0.resource.code", "List.code"},
		{"entry.0.resource.subject", "List.subject"},
		{"entry.0.resource.date", "List.date"},
		{"entry.0.resource.source", "List.source"},
		{"entry.0.resource.entry", "List.entry"},
		{"entry.1.resource.contained", "DocumentReference.contained"},
		{"entry.1.resource.masterIdentifier", "DocumentReference.masterIdentifier"},
		{"entry.1.resource.type", "DocumentReference.type"},
		{"entry.1.resource.subject", "DocumentReference.subject"},
		{"entry.1.resource.date", "DocumentReference.date"},
		{"entry.1.resource.author", "DocumentReference.author"},
		{"entry.1.resource.custodian", "DocumentReference.custodian"},
		{"entry.1.resource.securityLabel", "DocumentReference.securityLabel"},
		{"entry.1.resource.context.period", "DocumentReference.context.period.start"},
		{"entry.1.resource.context.facilityType", "DocumentReference.context.facilityType"},
		{"entry.1.resource.content.0.attachment.url", "DocumentReference.content[0].attachment.url"},
		{"entry.1.resource.content.0.attachment.hash", "DocumentReference.content[0].attachment.hash"},
		{"entry.1.resource.content.0.attachment.title", "DocumentReference.content[0].attachment.title"},
		{"entry.2.resource.contentType", "Binary.contentType"},
		{"entry.2.resource.data", "Binary.data"},
	}
	for _, p := range paths {
		t.Run(p.path, func(t *testing.T) {
			s := newSim(messim.Options{})
			w := s.transaction(mustJSON(t, del(t, validBundle(uid, content), p.path)))
			if w.Code != http.StatusUnprocessableEntity {
				t.Fatalf("HTTP %d %s, want 422", w.Code, w.Body)
			}
			is := outcomeOf(t, w)
			if !slices.ContainsFunc(is, func(i issue) bool { return i.Code == "required" && slices.Equal(i.Expression, []string{p.expr}) }) {
				t.Errorf("issues = %+v, want code required at %s", is, p.expr)
			}
			if s.s.Count() != 0 {
				t.Error("a document was stored")
			}
		})
	}
}

func TestTransactionRefuses(t *testing.T) {
	otherSum := sha1.Sum([]byte("other"))
	edit := func(path string, v any) func(*testing.T, map[string]any) map[string]any {
		return func(t *testing.T, m map[string]any) map[string]any { return set(t, m, path, v) }
	}
	tests := []struct {
		name   string
		edit   func(*testing.T, map[string]any) map[string]any
		raw    string
		status int
		code   string
		expr   string
	}{
		{name: "not JSON", raw: "{nope", status: 400, code: "structure"},
		{name: "a DocumentReference", raw: string(mustJSON(t, validDoc(uid, content))), status: 400, code: "structure"},
		{name: "unknown element in an entry", edit: edit("entry.0.resource.nonsense", true), status: 400, code: "structure", expr: "Bundle.entry[0].resource"},
		{name: "batch", edit: edit("type", "batch"), status: 422, code: "value", expr: "Bundle.type"},
		{name: "fullUrl not a UUID", edit: edit("entry.2.fullUrl", "Binary/1"), status: 422, code: "value", expr: "Bundle.entry[2].fullUrl"},
		{name: "Binary PUT", edit: edit("entry.2.request.method", "PUT"), status: 422, code: "value", expr: "Bundle.entry[2].request"},
		{name: "a Patient entry", edit: func(t *testing.T, m map[string]any) map[string]any {
			m["entry"] = append(m["entry"].([]any), map[string]any{"fullUrl": "urn:uuid:00000000-0000-4000-8000-000000000009", "resource": map[string]any{"resourceType": "Patient"}, "request": map[string]any{"method": "POST", "url": "Patient"}})
			return m
		}, status: 422, code: "not-supported", expr: "Bundle.entry[3].resource"},
		{name: "two Binaries", edit: func(t *testing.T, m map[string]any) map[string]any {
			e := m["entry"].([]any)
			m["entry"] = append(e, e[2])
			return m
		}, status: 422, code: "not-supported", expr: "Bundle.entry[3].resource"},
		{name: "url not the Binary", edit: edit("entry.1.resource.content.0.attachment.url", "urn:uuid:00000000-0000-4000-8000-000000000009"), status: 422, code: "value", expr: "DocumentReference.content[0].attachment.url"},
		{name: "inline data", edit: edit("entry.1.resource.content.0.attachment.data", "YQ=="), status: 422, code: "not-supported", expr: "DocumentReference.content[0].attachment.data"},
		{name: "author not contained", edit: edit("entry.1.resource.author", []any{ref("Practitioner/1")}), status: 422, code: "value", expr: "DocumentReference.author[0]"},
		{name: "author contained nowhere", edit: edit("entry.1.resource.author", []any{ref("#nobody")}), status: 422, code: "not-found", expr: "DocumentReference.author[0]"},
		{name: "custodian a person", edit: edit("entry.1.resource.custodian", ref("#person")), status: 422, code: "value", expr: "DocumentReference.custodian"},
		{name: "sourceId not an OID", edit: edit("entry.0.resource.extension.1.valueIdentifier.value", "lab-1"), status: 422, code: "value", expr: "List.extension[sourceId]"},
		{name: "List not a submissionset", edit: edit("entry.0.resource.code", cc("https://profiles.ihe.net/ITI/MHD/CodeSystem/MHDlistTypes", "folder")), status: 422, code: "value", expr: "List.code"},
		{name: "List entry elsewhere", edit: edit("entry.0.resource.entry.0.item.reference", urnBinary), status: 422, code: "value", expr: "List.entry"},
		{name: "Binary of another type", edit: edit("entry.2.resource.contentType", "text/plain"), status: 422, code: "value", expr: "Binary.contentType"},
		{name: "hash does not match", edit: edit("entry.1.resource.content.0.attachment.hash", base64.StdEncoding.EncodeToString(otherSum[:])), status: 422, code: "value", expr: "DocumentReference.content[0].attachment.hash"},
		{name: "size does not match", edit: edit("entry.1.resource.content.0.attachment.size", len(content)+1), status: 422, code: "value", expr: "DocumentReference.content[0].attachment.size"},
		{name: "data not base64", edit: edit("entry.2.resource.data", "***"), status: 422, code: "value", expr: "Binary.data"},
		{name: "relatesTo without the patch", edit: edit("entry.1.resource.relatesTo", []any{map[string]any{"code": "replaces", "target": ref(conditional("urn:oid:1.2.250.1.999.9"))}}), status: 422, code: "required", expr: "Bundle.entry[UpdateDocumentRefs]"},
		{name: "List for another patient", edit: edit("entry.0.resource.subject.identifier.value", insB), status: 403, code: "forbidden", expr: "List.subject.identifier"},
		{name: "DocumentReference for another patient", edit: edit("entry.1.resource.subject.identifier.value", insB), status: 403, code: "forbidden", expr: "DocumentReference.subject.identifier"},
		{name: "sourcePatientInfo of another patient", edit: edit("entry.1.resource.contained.3.identifier.0.value", insB), status: 403, code: "forbidden", expr: "DocumentReference.contained[3].identifier[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSim(messim.Options{})
			body := []byte(tt.raw)
			if tt.raw == "" {
				body = mustJSON(t, tt.edit(t, validBundle(uid, content)))
			}
			w := s.transaction(body)
			if w.Code != tt.status {
				t.Fatalf("HTTP %d %s, want %d", w.Code, w.Body, tt.status)
			}
			is := outcomeOf(t, w)
			if is[0].Code != tt.code || tt.expr != "" && !slices.Equal(is[0].Expression, []string{tt.expr}) {
				t.Errorf("first issue = %+v, want code %q at %q", is[0], tt.code, tt.expr)
			}
			if strings.Contains(w.Body.String(), insA) || strings.Contains(w.Body.String(), insB) {
				t.Errorf("answer %s echoes patient data", w.Body)
			}
			if s.s.Count() != 0 {
				t.Error("a document was stored")
			}
		})
	}
}

func TestTransactionCodes(t *testing.T) {
	for _, tt := range []struct{ vs, expr string }{
		{"JDV_J07", "DocumentReference.type"},
		{"JDV_J02", "DocumentReference.context.facilityType"},
	} {
		s := newSim(messim.Options{Codes: refuse(tt.vs)})
		w := s.transaction(mustJSON(t, validBundle(uid, content)))
		is := outcomeOf(t, w)
		if w.Code != 422 || !slices.ContainsFunc(is, func(i issue) bool { return i.Code == "code-invalid" && slices.Equal(i.Expression, []string{tt.expr}) }) {
			t.Errorf("%s: HTTP %d %+v, want code-invalid at %s", tt.vs, w.Code, is, tt.expr)
		}
		if tt.vs == "JDV_J02" && !slices.ContainsFunc(is, func(i issue) bool { return slices.Equal(i.Expression, []string{"List.extension[designationType]"}) }) {
			t.Errorf("designationType not checked against JDV_J02: %+v", is)
		}
	}
}

func TestTransactionReplaceAndDelete(t *testing.T) {
	s := newSim(messim.Options{})
	const v2 = "urn:oid:1.2.250.1.999.2"
	if w := s.transaction(mustJSON(t, validBundle(uid, content))); w.Code != 200 {
		t.Fatalf("v1: HTTP %d %s", w.Code, w.Body)
	}
	// The patch must name what relatesTo replaces.
	wrong := replacement(v2, uid, []byte("version 2"))
	set(t, wrong, "entry.1.request.url", conditional("urn:oid:1.2.250.1.999.99"))
	if w := s.transaction(mustJSON(t, wrong)); w.Code != 422 {
		t.Errorf("patch of another document: HTTP %d, want 422", w.Code)
	}
	w := s.transaction(mustJSON(t, replacement(v2, uid, []byte("version 2"))))
	if w.Code != 200 {
		t.Fatalf("v2: HTTP %d %s", w.Code, w.Body)
	}
	a := txAnswerOf(t, w)
	docs := s.s.Documents()
	if got, want := a.Entry[1].Response.Location, "DocumentReference/"+docs[0].MESID+"/_history/2"; got != want {
		t.Errorf("patch entry location = %q, want %q", got, want)
	}

	patch := func(uniqueID string, body map[string]any) *httptest.ResponseRecorder {
		return s.do(http.MethodPatch, "/"+conditional(uniqueID), mustJSON(t, body), nil)
	}
	deleteBody := supersede()
	deleteBody["parameter"] = append(deleteBody["parameter"].([]any), map[string]any{"name": "operation", "part": []any{
		map[string]any{"name": "type", "valueCode": "add"},
		map[string]any{"name": "path", "valueString": "DocumentReference"},
		map[string]any{"name": "name", "valueString": "extension"},
		map[string]any{"name": "value", "part": []any{
			map[string]any{"name": "url", "valueUri": "https://interop.esante.gouv.fr/ig/fhir/pdsm/StructureDefinition/pdsm-ext-is-deleted"},
			map[string]any{"name": "valueBoolean", "valueBoolean": true},
		}},
	}})
	tests := []struct {
		name   string
		uid    string
		body   map[string]any
		status int
	}{
		{"status only", v2, supersede(), 422},
		{"another element", v2, set(t, supersede(), "parameter.0.part.1.valueString", "DocumentReference.description"), 405},
		{"a superseded version", uid, deleteBody, 422},
		{"unknown", "urn:oid:1.2.250.1.999.404", deleteBody, 404},
		{"delete", v2, deleteBody, 200},
		{"delete again", v2, deleteBody, 404},
	}
	for _, tt := range tests {
		w := patch(tt.uid, tt.body)
		if w.Code != tt.status {
			t.Errorf("%s: HTTP %d %s, want %d", tt.name, w.Code, w.Body, tt.status)
		}
		if tt.status == 200 && (!strings.Contains(w.Body.String(), `"status":"superseded"`) || !strings.Contains(w.Body.String(), "pdsm-ext-is-deleted")) {
			t.Errorf("%s: answer %s, want the resource superseded and deleted", tt.name, w.Body)
		}
	}
	var got [][]string
	for _, d := range s.s.Documents() {
		got = append(got, append([]string{d.UniqueID, d.Status}, d.History...))
	}
	want := [][]string{{uid, "deleted", "create", "superseded", "deleted-with-replacement"}, {v2, "deleted", "replace", "delete"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("documents (-want +got):\n%s", diff)
	}
}

// TestSearchITI67 checks the PDSm search: patient.identifier with status
// required, deleted documents never found, identifier and type, pages.
func TestSearchITI67(t *testing.T) {
	s := newSim(messim.Options{})
	for i := range 3 {
		id := "urn:oid:1.2.250.1.999.3." + string(rune('1'+i))
		if w := s.transaction(mustJSON(t, validBundle(id, []byte(id)))); w.Code != 200 {
			t.Fatalf("HTTP %d %s", w.Code, w.Body)
		}
	}
	query := func(extra url.Values) (int, searchset, string) {
		q := url.Values{"patient.identifier": {insSystem + "|" + insA}}
		for k, v := range extra {
			q[k] = v
		}
		w := s.do(http.MethodGet, "/DocumentReference?"+q.Encode(), nil, nil)
		var ss searchset
		json.Unmarshal(w.Body.Bytes(), &ss)
		var next struct {
			Link []struct{ Relation, URL string }
		}
		json.Unmarshal(w.Body.Bytes(), &next)
		n := ""
		if len(next.Link) > 0 {
			n = next.Link[0].URL
		}
		return w.Code, ss, n
	}
	if code, _, _ := query(nil); code != 400 {
		t.Errorf("without status: HTTP %d, want 400", code)
	}
	if code, ss, _ := query(url.Values{"status": {"current"}, "identifier": {"urn:ietf:rfc:3986|urn:oid:1.2.250.1.999.3.2"}}); code != 200 || ss.Total != 1 {
		t.Errorf("by identifier: HTTP %d, total %d, want 1", code, ss.Total)
	}
	if code, ss, _ := query(url.Values{"status": {"current"}, "type": {"http://loinc.org|11490-0"}}); code != 200 || ss.Total != 0 {
		t.Errorf("by another type: HTTP %d, total %d, want 0", code, ss.Total)
	}
	code, ss, next := query(url.Values{"status": {"current"}, "_count": {"2"}})
	if code != 200 || ss.Total != 3 || len(ss.Entry) != 2 || !strings.Contains(next, "_offset=2") {
		t.Errorf("first page: HTTP %d, total %d, %d entries, next %q", code, ss.Total, len(ss.Entry), next)
	}
}
