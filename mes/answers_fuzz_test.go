package mes

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// corpusSeed adds a public corpus file as a seed when the corpus is there.
func corpusSeed(f *testing.F, name string) {
	if b, err := os.ReadFile(filepath.Join("..", "..", "shared", "corpus", "fhir", name)); err == nil {
		f.Add(b)
	}
}

// FuzzParseSearchset: no searchset page makes the parser panic, and what
// it finds holds together.
func FuzzParseSearchset(f *testing.F) {
	corpusSeed(f, "pdsm4dmp_Bundle-searchset.json")
	for _, s := range []string{
		`{"resourceType":"Bundle","type":"searchset","total":1,"link":[{"relation":"next","url":"http://mes/DocumentReference?_offset=1"}],` +
			`"entry":[{"resource":{"resourceType":"DocumentReference","id":"dr-1","masterIdentifier":{"system":"urn:oid:1.2.3","value":"ext"},` +
			`"status":"current","type":{"coding":[{"system":"http://loinc.org","code":"11502-2"}]},` +
			`"relatesTo":[{"code":"replaces","target":{"identifier":{"system":"urn:ietf:rfc:3986","value":"urn:oid:1.2.4"}}}],` +
			`"content":[{"attachment":{"url":"Binary/dr-1","size":3,"hash":"qvTGHdzF6KLavt4PO0gs2a6pQ00=","title":"t"}}]}},` +
			`{"resource":{"resourceType":"OperationOutcome","issue":[]},"search":{"mode":"outcome"}}]}`,
		`{"resourceType":"Bundle","type":"searchset","entry":[{"resource":null},{"resource":{"resourceType":"DocumentReference","content":[]}}]}`,
		`{"resourceType":"Bundle","type":"searchset","entry":[{"resource":{"resourceType":"DocumentReference","type":{"coding":[]}}}]}`,
		`{"resourceType":"Bundle","type":"transaction-response"}`,
		`[]`, `null`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		docs, next, ok := parseSearchset(body)
		if !ok && (len(docs) > 0 || next != "") {
			t.Fatalf("not a searchset, yet %d documents and next %q", len(docs), next)
		}
		for _, d := range docs {
			if d.SHA1 != "" && len(d.SHA1) != 40 {
				t.Fatalf("SHA1 %q is not a hex SHA-1", d.SHA1)
			}
		}
	})
}

// FuzzParseTransactionResponse: no answer makes the parser panic, and the
// MES id read from a location is one path segment.
func FuzzParseTransactionResponse(f *testing.F) {
	corpusSeed(f, "pdsm_Bundle-transaction-response.json")
	for _, s := range []string{
		`{"resourceType":"Bundle","type":"transaction-response","entry":[{"response":{"status":"201"}},{"response":{"status":"200 OK","location":"DocumentReference/dr-1/_history/1"}}]}`,
		`{"resourceType":"Bundle","type":"transaction-response","entry":[{},{"response":null}]}`,
		`{"resourceType":"Bundle","type":"transaction-response","entry":[{"response":{"location":"xDocumentReference/a"}},{"response":{"location":"https://h/DocumentReference/?#"}}]}`,
		`{"resourceType":"OperationOutcome"}`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for i := range 3 {
			e, ok := parseTransactionResponse(body, i)
			if !ok {
				continue
			}
			if id := locationID(e.Location); strings.ContainsAny(id, "/?#") {
				t.Fatalf("locationID(%q) = %q, not one segment", e.Location, id)
			}
			isDuplicateEntry(e.Status)
		}
	})
}

// FuzzUniqueIDRoundTrip: a uniqueId written as a FHIR identifier reads back
// as itself, whatever its form.
func FuzzUniqueIDRoundTrip(f *testing.F) {
	for _, s := range []string{"urn:oid:1.2.3", "urn:uuid:6b1a3d8e-1c4f-4a57-9a7e-3f1c2b0d9e11", "1.2.250.1.999.4^CR-1", "a^b^c", "^", "urn:x^y", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, uid string) {
		if got := docbridgeUniqueID(uniqueIdentifier(uid)); got != uid {
			t.Fatalf("round trip of %q gave %q", uid, got)
		}
	})
}
