package main

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/identity"
	"github.com/docbridge/docbridge/internal/operate"
	"github.com/docbridge/docbridge/internal/store"
)

var reviewed = docbridge.Patient{
	INS: "285047505612322", INSSystem: "urn:oid:1.2.250.1.213.1.4.10",
	BirthName: "DOCBRIDGE-TEST", FirstNames: []string{"CAMILLE", "MARIE-ANNE"},
	BirthDate: "1985-04-17", Sex: "F", BirthPlace: "75056",
}

// storeDoc stores one input (intake drop) holding one document, uniqueID
// for patient p, recorded as nd says, and returns the document's id.
func storeDoc(t *testing.T, st *store.Store, uniqueID string, p docbridge.Patient, nd store.NewDocument) int64 {
	t.Helper()
	ctx := context.Background()
	content := []byte("content of " + uniqueID)
	s1, s256 := sha1.Sum(content), sha256.Sum256(content)
	nd.Doc = &docbridge.Document{UniqueID: uniqueID, Action: docbridge.Create, Content: content, Patient: p,
		Size: int64(len(content)), SHA1: hex.EncodeToString(s1[:]), SHA256: hex.EncodeToString(s256[:])}
	acc, err := st.AcceptConverted(ctx, &docbridge.Envelope{Intake: "drop", Source: "f", ReceivedAt: time.Now(), Body: bytes.NewReader(content)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	refs, err := st.RecordConversion(ctx, acc.ID, []store.NewDocument{nd})
	if err != nil {
		t.Fatal(err)
	}
	return refs[0].ID
}

// seedReview stores a live pairing of reviewed and n documents in review
// for an identity mismatch (birth date), and returns the data directory.
func seedReview(t *testing.T, n int) string {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.Open(ctx, store.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.PutPairing(ctx, docbridge.Pairing{ID: "p1", MESPatient: "m1", Patient: reviewed, AccessToken: "t"}); err != nil {
		t.Fatal(err)
	}
	p := reviewed
	p.BirthDate = "1985-04-18"
	for i := 0; i < n; i++ {
		storeDoc(t, st, fmt.Sprintf("urn:oid:1.9.%d", i), p, store.NewDocument{State: docbridge.Review, Reason: docbridge.IdentityMismatch, Message: "m"})
	}
	return dir
}

func TestQueueReview(t *testing.T) {
	dir := seedReview(t, 2)
	ctx := context.Background()
	var out bytes.Buffer
	if err := run(ctx, []string{"queue", "review", "--data", dir, "--id", "1"}, &out, &out); err != nil {
		t.Fatalf("queue review --id 1: %v\n%s", err, out.String())
	}
	m := regexp.MustCompile(`--diff ([0-9a-f]{32})`).FindStringSubmatch(out.String())
	if m == nil || !strings.Contains(out.String(), "birthDate") || !strings.Contains(out.String(), "candidate pairing p1") {
		t.Fatalf("queue review output lacks the diff or its fingerprint:\n%s", out.String())
	}
	tests := []struct {
		name    string
		args    []string
		wantErr bool
	}{
		{"confirm without the diff", []string{"--id", "1", "--confirm", "--note", "ok"}, true},
		{"confirm with another diff", []string{"--id", "1", "--confirm", "--diff", strings.Repeat("0", 32), "--note", "ok"}, true},
		{"decision without a note", []string{"--id", "2", "--set-aside"}, true},
		{"two decisions", []string{"--id", "2", "--reject", "--set-aside", "--note", "x"}, true},
		{"confirm the diff seen", []string{"--id", "1", "--confirm", "--diff", m[1], "--note", "ID card checked"}, false},
		{"set aside", []string{"--id", "2", "--set-aside", "--note", "asking the lab"}, false},
		{"reject", []string{"--id", "2", "--reject", "--note", "another patient"}, false},
		{"decide again on a decided document", []string{"--id", "2", "--reject", "--note", "again"}, true},
	}
	for _, tt := range tests {
		out.Reset()
		err := run(ctx, append([]string{"queue", "review", "--data", dir}, tt.args...), &out, &out)
		if (err != nil) != tt.wantErr {
			t.Errorf("%s: error %v, want error %v\n%s", tt.name, err, tt.wantErr, out.String())
		}
	}

	st, err := store.Open(ctx, store.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	d1, _ := st.Document(ctx, 1)
	d2, _ := st.Document(ctx, 2)
	if d1.State != docbridge.Converted || d2.State != docbridge.Failed || d2.Reason != docbridge.IdentityMismatch {
		t.Errorf("states = %s, %s/%s; want converted, failed/identity-mismatch", d1.State, d2.State, d2.Reason)
	}
	h, _ := st.History(ctx, 1)
	last := h[len(h)-1]
	if c, ok := identity.ParseConfirmation(last.Message); !ok || c.PairingID != "p1" || !strings.HasPrefix(last.Actor, "user:") {
		t.Errorf("decision recorded as %q by %q, want a confirmation for p1 by user:…", last.Message, last.Actor)
	}
	// The matcher now accepts document 1 for p1, as the console's decisions.
	m1 := &identity.Matcher{Pairings: st, Decisions: operate.DecisionLog{Store: st}}
	if p, err := m1.Match(ctx, d1.Doc); err != nil || p.ID != "p1" {
		t.Errorf("Match after the CLI confirmation = %q, %v; want p1", p.ID, err)
	}
}

func TestPairRevokeLocal(t *testing.T) {
	dir := seedReview(t, 0)
	var out bytes.Buffer
	if err := run(context.Background(), []string{"pair", "revoke", "--data", dir, "--id", "p1"}, &out, &out); err != nil {
		t.Fatalf("pair revoke: %v\n%s", err, out.String())
	}
	if err := run(context.Background(), []string{"pair", "revoke", "--data", dir, "--id", "nope"}, &out, &out); exitCode(err) != 2 {
		t.Errorf("pair revoke of an unknown pairing: %v, want a usage error", err)
	}
	st, _ := store.Open(context.Background(), store.Options{Dir: dir})
	defer st.Close()
	if p, err := st.Pairing(context.Background(), "p1"); err != nil || !p.Revoked {
		t.Errorf("pairing p1 after revoke: revoked %v, %v", p.Revoked, err)
	}
}

func TestProductionNeedsTokenKey(t *testing.T) {
	t.Setenv(defaultKeyEnv, "")
	dir := t.TempDir()
	cfg := filepath.Join(dir, "docbridge.yaml")
	os.WriteFile(cfg, []byte("environment: production\ndata: data\nmes: {base_url: \"https://mes.invalid/api\"}\n"), 0o600)
	var out bytes.Buffer
	err := run(context.Background(), []string{"serve", "-c", cfg}, &out, &out)
	if exitCode(err) != 2 || !strings.Contains(fmt.Sprint(err), "security") {
		t.Errorf("serve in production without a key: %v, want a configuration error naming security", err)
	}
	// With the key in the environment, the key check passes (serve then
	// runs; it is not started here). A malformed key is refused.
	t.Setenv(defaultKeyEnv, "too-short")
	if _, err := tokenKeyFor(&Config{Environment: "production", Security: SecurityConfig{KeyEnv: defaultKeyEnv}}, &out); exitCode(err) != 2 {
		t.Errorf("a malformed key: %v, want a configuration error", err)
	}
	t.Setenv(defaultKeyEnv, strings.Repeat("0f", 32))
	if k, err := tokenKeyFor(&Config{Environment: "production", Security: SecurityConfig{KeyEnv: defaultKeyEnv}}, &out); err != nil || len(k) != 32 {
		t.Errorf("a hex key: %d bytes, %v", len(k), err)
	}
	// In test, no key is allowed with a loud warning.
	t.Setenv(defaultKeyEnv, "")
	out.Reset()
	if k, err := tokenKeyFor(&Config{Environment: "test", Security: SecurityConfig{KeyEnv: defaultKeyEnv}}, &out); err != nil || k != nil || !strings.Contains(out.String(), "WARNING") {
		t.Errorf("test without a key: %v, %v, warning %q", k, err, out.String())
	}
}
