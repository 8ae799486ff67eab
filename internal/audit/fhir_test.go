package audit

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/fhirschematest"
)

// auditEventSchema is the official FHIR R4 JSON schema, for AuditEvents.
var auditEventSchema = sync.OnceValues(func() (*fhirschematest.Schema, error) { return fhirschematest.Load("AuditEvent") })

// validateR4 checks one resource against the FHIR R4 JSON schema.
func validateR4(t *testing.T, b []byte) {
	t.Helper()
	sch, err := auditEventSchema()
	if err != nil {
		t.Fatalf("load the FHIR R4 schema: %v", err)
	}
	if err := sch.Validate(b); err != nil {
		t.Errorf("%v\n%s", err, b)
	}
}

// everyKind returns one record of each kind, as the store writes them.
func everyKind() []Record {
	rs := []Record{
		{Kind: InputAccepted, Actor: "intake:drop", InputID: 1, To: docbridge.Received, Message: "120 bytes, sha256 ab"},
		{Kind: InputFailed, Actor: "convert", InputID: 2, From: docbridge.Received, To: docbridge.Failed, Reason: docbridge.Malformed, Message: "not XML"},
		{Kind: InputConverted, Actor: "convert", InputID: 1, From: docbridge.Received, To: docbridge.Converted, Message: "1 document(s), 1 new"},
		{Kind: DocumentCreated, Actor: "convert", DocID: 1, InputID: 1, UniqueID: "urn:oid:1.2.250.1.999.1", To: docbridge.Converted},
		{Kind: DocumentTransition, Actor: "match", DocID: 1, InputID: 1, UniqueID: "urn:oid:1.2.250.1.999.1", PairingID: "p1", From: docbridge.Converted, To: docbridge.Matched},
		{Kind: MESExchange, Actor: "deliver", DocID: 1, UniqueID: "urn:oid:1.2.250.1.999.1", PairingID: "p1", Exchange: &Exchange{RequestID: "r1", Status: 201, MESID: "DR-1"}},
		{Kind: MESExchange, Actor: "deliver", DocID: 1, Reason: docbridge.MESUnavailable, Message: "MES is unavailable (HTTP 503, request r2)", Exchange: &Exchange{}},
		{Kind: DocumentTransition, Actor: "deliver", DocID: 1, From: docbridge.Matched, To: docbridge.Held, Reason: docbridge.MESUnavailable, Message: "MES <unavailable> & \"down\""},
		{Kind: PairingCreated, Actor: "user:ana", PairingID: "p1"},
		{Kind: PairingRevoked, Actor: "deliver", PairingID: "p1", Message: "the pairing is revoked"},
		{Kind: Admin, Actor: "user:ana", DocID: 1, Message: "released from review"},
		{Kind: Archived, Actor: "user:ana", Message: "archived records 1 to 10"},
	}
	prev := Genesis
	for i := range rs {
		rs[i].At = t0.Add(1500 * 1e6 * 1)
		Seal(&rs[i], prev.Seq, prev.Hash)
		prev = Anchor{rs[i].Seq, rs[i].Hash}
	}
	return append(rs, Record{Seq: 99, At: t0, Kind: Checkpoint, Actor: "user:ana", Archived: 99, Hash: prev.Hash})
}

func TestAuditEventSchema(t *testing.T) {
	o := FHIROptions{Instance: "lab server/1"}
	for _, r := range everyKind() {
		t.Run(string(r.Kind), func(t *testing.T) {
			b, err := MarshalAuditEvent(&r, o)
			if err != nil {
				t.Fatalf("MarshalAuditEvent: %v", err)
			}
			validateR4(t, b)
		})
	}
}

// TestSchemaRejects shows the schema is in force: it refuses what the
// samply quirks would let through.
func TestSchemaRejects(t *testing.T) {
	sch, err := auditEventSchema()
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{
		`{"resourceType":"AuditEvent","type":{"code":"110107"},"recorded":"2026-11-25T09:30:00Z","agent":null,"source":{"observer":{}}}`,
		`{"resourceType":"AuditEvent","type":{"code":"110107"},"recorded":"yesterday","agent":[{"requestor":true}],"source":{"observer":{"display":"x"}}}`,
		`{"resourceType":"AuditEvent","type":{"code":"110107"},"recorded":"2026-11-25T09:30:00Z","agent":[{"requestor":true}],"source":{"observer":{"display":"x"}},"outcome":"3"}`,
	} {
		if err := sch.Validate([]byte(bad)); err == nil {
			t.Errorf("schema accepted %s", bad)
		}
	}
}

func TestAuditEventMapping(t *testing.T) {
	rs := everyKind()
	tests := []struct {
		r                              Record
		typ, action, outcome, subtype0 string
		agents, entities               int
	}{
		{rs[0], "110107", "C", "0", "input.accepted", 1, 1},
		{rs[1], "110107", "C", "8", "input.failed", 1, 1},
		{rs[4], "110110", "U", "0", "document.transition", 1, 2},
		{rs[5], "110106", "C", "0", "mes.exchange", 2, 3},
		{rs[6], "110106", "C", "4", "mes.exchange", 2, 1},
		{rs[7], "110110", "U", "4", "document.transition", 1, 1},
		{rs[8], "110110", "C", "0", "pairing.created", 1, 1},
		{rs[10], "110100", "E", "0", "admin", 1, 1},
	}
	for _, tt := range tests {
		b, err := MarshalAuditEvent(&tt.r, FHIROptions{Instance: "lab1"})
		if err != nil {
			t.Fatal(err)
		}
		var got struct {
			Type    struct{ Code string }
			Subtype []struct{ Code string }
			Action  string
			Outcome string
			Agent   []struct {
				Requestor bool
				Who       struct{ Display string }
			}
			Entity []json.RawMessage
		}
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		name := string(tt.r.Kind)
		if got.Type.Code != tt.typ || got.Action != tt.action || got.Outcome != tt.outcome || got.Subtype[0].Code != tt.subtype0 {
			t.Errorf("%s: type %s action %s outcome %s subtype %s, want %s %s %s %s", name,
				got.Type.Code, got.Action, got.Outcome, got.Subtype[0].Code, tt.typ, tt.action, tt.outcome, tt.subtype0)
		}
		if len(got.Agent) != tt.agents || len(got.Entity) != tt.entities {
			t.Errorf("%s: %d agents, %d entities, want %d, %d", name, len(got.Agent), len(got.Entity), tt.agents, tt.entities)
		}
		if got.Agent[0].Who.Display != tt.r.Actor || !got.Agent[0].Requestor {
			t.Errorf("%s: agent %+v, want the actor %s as requestor", name, got.Agent[0], tt.r.Actor)
		}
	}
	if _, err := AuditEvent(&Record{Kind: "nonsense"}, FHIROptions{Instance: "x"}); err == nil {
		t.Error("AuditEvent of an unknown kind: no error")
	}
}

// TestAuditEventFHIRValidate runs the independent validator of
// ../shared/tools/fhir-validate (@medplum/core) when it is installed: set
// FHIR_VALIDATE_DIR to a directory where its package is npm-installed.
func TestAuditEventFHIRValidate(t *testing.T) {
	dir := os.Getenv("FHIR_VALIDATE_DIR")
	if dir == "" {
		t.Skip("FHIR_VALIDATE_DIR not set: the npm validator is not installed")
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node not found")
	}
	var files []string
	for i, r := range everyKind() {
		b, err := MarshalAuditEvent(&r, FHIROptions{Instance: "lab1"})
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Join(t.TempDir(), strings.ReplaceAll(string(r.Kind), ".", "-")+string(rune('a'+i))+".json")
		if err := os.WriteFile(name, b, 0o600); err != nil {
			t.Fatal(err)
		}
		files = append(files, name)
	}
	cmd := exec.Command("node", append([]string{filepath.Join(dir, "validate.mjs")}, files...)...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("fhir-validate: %v\n%s", err, out)
	}
}
