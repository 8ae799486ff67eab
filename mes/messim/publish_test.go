package messim_test

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/docbridge/docbridge/mes/messim"
)

const uid = "urn:oid:1.2.250.1.999.1"

var content = []byte("%PDF-1.4 synthetic\n")

func TestPublishAccepts(t *testing.T) {
	s := newSim(messim.Options{})
	w := s.post(mustJSON(t, validDoc(uid, content)))
	if w.Code != http.StatusCreated {
		t.Fatalf("HTTP %d %s, want 201", w.Code, w.Body)
	}
	docs := s.s.Documents()
	if len(docs) != 1 {
		t.Fatalf("Documents() = %+v, want one", docs)
	}
	if loc, want := w.Header().Get("Location"), "/DocumentReference/"+docs[0].MESID+"/_history/1"; !strings.HasSuffix(loc, want) {
		t.Errorf("Location = %q, want …%s", loc, want)
	}
	sum := sha1.Sum(content)
	if got, want := docs[0].SHA1, hex.EncodeToString(sum[:]); got != want {
		t.Errorf("SHA1 = %s, want %s", got, want)
	}
	for _, pd := range []string{insA, "Dr Test"} {
		if strings.Contains(w.Body.String(), pd) {
			t.Errorf("answer %s echoes %q", w.Body, pd)
		}
	}
}

// TestPublishRequired removes each required element in turn.
func TestPublishRequired(t *testing.T) {
	paths := []struct{ path, expr string }{
		{"masterIdentifier", "masterIdentifier"},
		{"status", "status"},
		{"type", "type"},
		{"category", "category"},
		{"subject", "subject"},
		{"subject.identifier", "subject.identifier"},
		{"author", "author"},
		{"securityLabel", "securityLabel"},
		{"context", "context"},
		{"context.facilityType", "context.facilityType"},
		{"context.practiceSetting", "context.practiceSetting"},
		{"content", "content"},
		{"content.0.format", "content[0].format"},
		{"content.0.attachment", "content[0].attachment"},
		{"content.0.attachment.contentType", "content[0].attachment.contentType"},
		{"content.0.attachment.language", "content[0].attachment.language"},
		{"content.0.attachment.data", "content[0].attachment.data"},
		{"content.0.attachment.size", "content[0].attachment.size"},
		{"content.0.attachment.hash", "content[0].attachment.hash"},
		{"content.0.attachment.title", "content[0].attachment.title"},
		{"content.0.attachment.creation", "content[0].attachment.creation"},
	}
	for _, p := range paths {
		t.Run(p.path, func(t *testing.T) {
			s := newSim(messim.Options{})
			w := s.post(mustJSON(t, del(t, validDoc(uid, content), p.path)))
			if w.Code != http.StatusUnprocessableEntity {
				t.Fatalf("HTTP %d %s, want 422", w.Code, w.Body)
			}
			is := outcomeOf(t, w)
			if got, want := is[0].Expression, []string{"DocumentReference." + p.expr}; !slices.Equal(got, want) || is[0].Code != "required" {
				t.Errorf("first issue = %+v, want code required at %v", is[0], want)
			}
			if s.s.Count() != 0 {
				t.Error("a document was stored")
			}
		})
	}
}

func TestPublishRefuses(t *testing.T) {
	otherSum := sha1.Sum([]byte("other"))
	wrapped := base64.StdEncoding.EncodeToString(content)
	tests := []struct {
		name   string
		edit   func(t *testing.T, m map[string]any) map[string]any
		raw    string // body as is, instead of edit
		header map[string]string
		status int
		code   string
		expr   string
	}{
		{name: "not JSON", raw: "{nope", status: 400, code: "structure"},
		{name: "empty", raw: "", status: 400, code: "structure"},
		{name: "trailing data", raw: string(mustJSON(t, validDoc(uid, content))) + "{}", status: 400, code: "structure"},
		{name: "array", raw: "[]", status: 400, code: "structure"},
		{name: "other resource", edit: func(t *testing.T, m map[string]any) map[string]any { return set(t, m, "resourceType", "Patient") }, status: 400, code: "structure"},
		{name: "unknown element", edit: func(t *testing.T, m map[string]any) map[string]any { return set(t, m, "masterIdentifer", "x") }, status: 400, code: "structure"},
		{name: "size as string", edit: func(t *testing.T, m map[string]any) map[string]any {
			return set(t, m, "content.0.attachment.size", "19")
		}, status: 400, code: "structure"},
		{name: "status superseded", edit: func(t *testing.T, m map[string]any) map[string]any { return set(t, m, "status", "superseded") },
			status: 422, code: "value", expr: "DocumentReference.status"},
		{name: "uniqueId not an OID or UUID", edit: func(t *testing.T, m map[string]any) map[string]any {
			return set(t, m, "masterIdentifier.value", "1.2.3")
		}, status: 422, code: "value", expr: "DocumentReference.masterIdentifier.value"},
		{name: "creation not a dateTime", edit: func(t *testing.T, m map[string]any) map[string]any {
			return set(t, m, "content.0.attachment.creation", "01/04/2021")
		}, status: 422, code: "value", expr: "DocumentReference.content[0].attachment.creation"},
		{name: "size does not match", edit: func(t *testing.T, m map[string]any) map[string]any {
			return set(t, m, "content.0.attachment.size", len(content)+1)
		}, status: 422, code: "value", expr: "DocumentReference.content[0].attachment.size"},
		{name: "hash does not match", edit: func(t *testing.T, m map[string]any) map[string]any {
			return set(t, m, "content.0.attachment.hash", base64.StdEncoding.EncodeToString(otherSum[:]))
		}, status: 422, code: "value", expr: "DocumentReference.content[0].attachment.hash"},
		{name: "hash in hex", edit: func(t *testing.T, m map[string]any) map[string]any {
			return set(t, m, "content.0.attachment.hash", hex.EncodeToString(otherSum[:]))
		}, status: 422, code: "value", expr: "DocumentReference.content[0].attachment.hash"},
		{name: "data not base64", edit: func(t *testing.T, m map[string]any) map[string]any {
			return set(t, m, "content.0.attachment.data", "***")
		}, status: 422, code: "value", expr: "DocumentReference.content[0].attachment.data"},
		{name: "data without padding", edit: func(t *testing.T, m map[string]any) map[string]any {
			return set(t, m, "content.0.attachment.data", strings.TrimRight(wrapped, "="))
		}, status: 422, code: "value", expr: "DocumentReference.content[0].attachment.data"},
		{name: "data after padding", edit: func(t *testing.T, m map[string]any) map[string]any {
			return set(t, m, "content.0.attachment.data", wrapped+wrapped)
		}, status: 422, code: "value", expr: "DocumentReference.content[0].attachment.data"},
		{name: "attachment url", edit: func(t *testing.T, m map[string]any) map[string]any {
			return set(t, m, "content.0.attachment.url", "urn:uuid:x")
		}, status: 422, code: "not-supported", expr: "DocumentReference.content[0].attachment.url"},
		{name: "two contents", edit: func(t *testing.T, m map[string]any) map[string]any {
			c := m["content"].([]any)
			m["content"] = append(c, c[0])
			return m
		}, status: 422, code: "not-supported", expr: "DocumentReference.content"},
		{name: "relatesTo appends", edit: func(t *testing.T, m map[string]any) map[string]any {
			return set(t, m, "relatesTo", []any{map[string]any{"code": "appends", "target": map[string]any{"identifier": map[string]any{"value": "urn:oid:1.2.3"}}}})
		}, status: 422, code: "not-supported", expr: "DocumentReference.relatesTo[0].code"},
		{name: "replaces unknown", edit: func(t *testing.T, m map[string]any) map[string]any {
			return set(t, m, "relatesTo", []any{map[string]any{"code": "replaces", "target": map[string]any{"identifier": map[string]any{"value": "urn:oid:1.2.3"}}}})
		}, status: 422, code: "not-found", expr: "DocumentReference.relatesTo[0].target.identifier"},
		{name: "INS of another patient", edit: func(t *testing.T, m map[string]any) map[string]any {
			return set(t, m, "subject.identifier.value", insB)
		}, status: 403, code: "forbidden", expr: "DocumentReference.subject.identifier"},
		{name: "INS under another OID", edit: func(t *testing.T, m map[string]any) map[string]any {
			return set(t, m, "subject.identifier.system", "urn:oid:1.2.250.1.213.1.4.8")
		}, status: 403, code: "forbidden", expr: "DocumentReference.subject.identifier"},
		{name: "another patient's reference", edit: func(t *testing.T, m map[string]any) map[string]any {
			return set(t, m, "subject.reference", "Patient/P2")
		}, status: 403, code: "forbidden", expr: "DocumentReference.subject.reference"},
		{name: "no token", header: map[string]string{"Authorization": ""}, status: 401, code: "login"},
		{name: "unknown token", header: map[string]string{"Authorization": "Bearer nope"}, status: 401, code: "security"},
		{name: "wrong media type", header: map[string]string{"Content-Type": "application/json"}, status: 415, code: "not-supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSim(messim.Options{})
			body := []byte(tt.raw)
			if tt.raw == "" && tt.name != "empty" {
				m := validDoc(uid, content)
				if tt.edit != nil {
					m = tt.edit(t, m)
				}
				body = mustJSON(t, m)
			}
			w := s.do(http.MethodPost, "/DocumentReference", body, tt.header)
			if w.Code != tt.status {
				t.Fatalf("HTTP %d %s, want %d", w.Code, w.Body, tt.status)
			}
			is := outcomeOf(t, w)
			if is[0].Code != tt.code || tt.expr != "" && !slices.Equal(is[0].Expression, []string{tt.expr}) {
				t.Errorf("first issue = %+v, want code %q at %q", is[0], tt.code, tt.expr)
			}
			for _, pd := range []string{insA, insB} {
				if strings.Contains(w.Body.String(), pd) {
					t.Errorf("answer %s echoes patient data", w.Body)
				}
			}
			if s.s.Count() != 0 {
				t.Error("a document was stored")
			}
		})
	}
}

func TestPublishRevokedToken(t *testing.T) {
	s := newSim(messim.Options{})
	s.s.Revoke(s.tok)
	w := s.post(mustJSON(t, validDoc(uid, content)))
	if is := outcomeOf(t, w); w.Code != http.StatusUnauthorized || is[0].Code != "expired" {
		t.Errorf("HTTP %d %+v, want 401 expired", w.Code, is)
	}
}

func TestPublishBodyLimit(t *testing.T) {
	s := newSim(messim.Options{MaxBodyBytes: 200})
	w := s.post(mustJSON(t, validDoc(uid, content)))
	if is := outcomeOf(t, w); w.Code != http.StatusRequestEntityTooLarge || is[0].Code != "too-costly" {
		t.Errorf("HTTP %d %+v, want 413 too-costly", w.Code, is)
	}
}

// refuse is a CodeChecker that refuses one value set.
type refuse string

func (r refuse) Contains(vs, system, code string) bool { return vs != string(r) }

func TestPublishCodes(t *testing.T) {
	tests := []struct{ vs, expr string }{
		{"JDV_J07", "DocumentReference.type"},
		{"JDV_J06", "DocumentReference.category[0]"},
		{"JDV_J10", "DocumentReference.content[0].format"},
		{"JDV_J02", "DocumentReference.context.facilityType"},
		{"JDV_J04", "DocumentReference.context.practiceSetting"},
		{"JDV_J08", "DocumentReference.securityLabel[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.vs, func(t *testing.T) {
			s := newSim(messim.Options{Codes: refuse(tt.vs)})
			w := s.post(mustJSON(t, validDoc(uid, content)))
			if w.Code != http.StatusUnprocessableEntity {
				t.Fatalf("HTTP %d, want 422", w.Code)
			}
			is := outcomeOf(t, w)
			if len(is) != 1 || is[0].Code != "code-invalid" || !slices.Equal(is[0].Expression, []string{tt.expr}) || !strings.Contains(is[0].Diagnostics, tt.vs) {
				t.Errorf("issues = %+v, want one code-invalid at %s naming %s", is, tt.expr, tt.vs)
			}
		})
	}
	s := newSim(messim.Options{Codes: refuse("none")})
	if w := s.post(mustJSON(t, validDoc(uid, content))); w.Code != http.StatusCreated {
		t.Errorf("all codes known: HTTP %d %s, want 201", w.Code, w.Body)
	}
}

func TestPublishIdempotency(t *testing.T) {
	s := newSim(messim.Options{})
	tokP2 := s.s.AddPatient("P2", insB, insSystem)
	first := s.post(mustJSON(t, validDoc(uid, content)))
	again := s.post(mustJSON(t, validDoc(uid, content)))
	if again.Code != http.StatusOK || again.Header().Get("X-MES-Duplicate") != "true" || again.Header().Get("Location") != first.Header().Get("Location") {
		t.Errorf("resend: HTTP %d, headers %v; want 200, X-MES-Duplicate, the first Location %q", again.Code, again.Header(), first.Header().Get("Location"))
	}
	other := s.post(mustJSON(t, validDoc(uid, []byte("other content"))))
	if is := outcomeOf(t, other); other.Code != http.StatusConflict || is[0].Code != "duplicate" {
		t.Errorf("other content: HTTP %d %+v, want 409 duplicate", other.Code, is)
	}
	m := validDoc(uid, content)
	set(t, m, "subject.identifier.value", insB)
	set(t, m, "subject.reference", "Patient/P2")
	w := s.do(http.MethodPost, "/DocumentReference", mustJSON(t, m), map[string]string{"Authorization": "Bearer " + tokP2})
	if w.Code != http.StatusConflict {
		t.Errorf("same uniqueId for another patient: HTTP %d, want 409", w.Code)
	}
	if got := s.s.Count(); got != 1 {
		t.Errorf("Count() = %d, want 1", got)
	}
	if got, want := s.s.Requests(), 4; got != want {
		t.Errorf("Requests() = %d, want %d", got, want)
	}
}

func TestPublishLenientEncodings(t *testing.T) {
	content := append([]byte("%PDF-1.4 "), 0xff, 0xff, 0xff, 0xfb, 0xef, 0xbe, '\n')
	b64 := base64.StdEncoding.EncodeToString(content)
	mime := b64[:8] + "\r\n" + b64[8:16] + " \t" + b64[16:]
	body := string(mustJSON(t, validDoc(uid, content)))
	tests := []struct{ name, body string }{
		{"MIME line breaks in data", strings.Replace(body, b64, mime, 1)},
		{"escaped slashes", strings.Replace(body, b64, strings.ReplaceAll(b64, "/", `\/`), 1)},
		{"escaped member name", strings.Replace(body, `"data"`, `"d\u0061ta"`, 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.body == body {
				t.Fatal("the edit changed nothing")
			}
			s := newSim(messim.Options{})
			if w := s.post([]byte(tt.body)); w.Code != http.StatusCreated {
				t.Errorf("HTTP %d %s, want 201", w.Code, w.Body)
			}
		})
	}
}

func TestPublishStoresInDir(t *testing.T) {
	dir := t.TempDir()
	s := newSim(messim.Options{Dir: dir})
	if w := s.post(mustJSON(t, validDoc(uid, content))); w.Code != http.StatusCreated {
		t.Fatalf("HTTP %d", w.Code)
	}
	bad := set(t, validDoc("urn:oid:1.2.250.1.999.2", content), "content.0.attachment.size", 1)
	if w := s.post(mustJSON(t, bad)); w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("HTTP %d", w.Code)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != s.s.Documents()[0].MESID {
		t.Errorf("dir holds %v, want only the stored document", entries)
	}
	got, err := os.ReadFile(dir + "/" + entries[0].Name())
	if err != nil || string(got) != string(content) {
		t.Errorf("stored content = %q, %v", got, err)
	}
}

func TestFaults(t *testing.T) {
	s := newSim(messim.Options{Faults: messim.FailFirst(2, http.StatusServiceUnavailable)})
	for i := range 2 {
		w := s.post(mustJSON(t, validDoc(uid, content)))
		if is := outcomeOf(t, w); w.Code != 503 || w.Header().Get("Retry-After") != "1" || is[0].Code != "transient" {
			t.Errorf("try %d: HTTP %d %v %+v, want 503, Retry-After 1, transient", i, w.Code, w.Header(), is)
		}
	}
	if w := s.post(mustJSON(t, validDoc(uid, content))); w.Code != http.StatusCreated {
		t.Errorf("third try: HTTP %d, want 201", w.Code)
	}
	if got, want := s.s.Requests(), 3; got != want {
		t.Errorf("Requests() = %d, want %d", got, want)
	}
}

func TestRouting(t *testing.T) {
	s := newSim(messim.Options{})
	tests := []struct {
		method, target string
		status         int
	}{
		{http.MethodPut, "/DocumentReference", 405},
		{http.MethodPost, "/Binary/x", 405},
		{http.MethodGet, "/Patient", 404},
	}
	for _, tt := range tests {
		w := s.do(tt.method, tt.target, nil, nil)
		if w.Code != tt.status {
			t.Errorf("%s %s: HTTP %d, want %d", tt.method, tt.target, w.Code, tt.status)
		}
		outcomeOf(t, w)
	}
}
