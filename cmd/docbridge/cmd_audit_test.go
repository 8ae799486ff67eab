package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/store"
)

// auditStore makes a data directory with a few audit records.
func auditStore(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(context.Background(), store.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, body := range []string{"one", "two", "three"} {
		a, err := st.AcceptConverted(context.Background(), &docbridge.Envelope{Intake: "drop", Body: strings.NewReader(body)}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.FailInput(context.Background(), a.ID, docbridge.Malformed, "not a document"); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// runCmd runs docbridge with args and returns its output.
func runCmd(args ...string) (string, error) {
	var out bytes.Buffer
	err := run(context.Background(), args, &out, &out)
	return out.String(), err
}

func TestAuditVerifyCommand(t *testing.T) {
	dir := auditStore(t)
	out, err := runCmd("audit", "verify", "--data", dir)
	if err != nil || !strings.HasPrefix(out, "6 records, chain intact") {
		t.Fatalf("audit verify = %q, %v; want 6 records intact", out, err)
	}
	db, err := sql.Open("sqlite", filepath.Join(dir, "docbridge.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE audit SET reason = '' WHERE seq = 4`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	out, err = runCmd("audit", "verify", "--data", dir)
	if !errors.Is(err, errProblems) || exitCode(err) != 1 {
		t.Errorf("audit verify of a tampered store: error %v (exit %d), want exit 1", err, exitCode(err))
	}
	if want := "broken at record 4 (modified): record 4 was modified"; !strings.Contains(out, want) {
		t.Errorf("audit verify said %q, want it to contain %q", out, want)
	}
	if _, err := runCmd("audit", "verify"); exitCode(err) != 2 {
		t.Errorf("audit verify without a store: exit %d, want 2", exitCode(err))
	}
}

func TestAuditArchiveCommand(t *testing.T) {
	dir := auditStore(t)
	arch := filepath.Join(t.TempDir(), "audit-1.jsonl")
	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	out, err := runCmd("audit", "archive", "--before", future, "--out", arch, "--data", dir)
	if err != nil || !strings.Contains(out, "archived records 1 to 6 (6)") {
		t.Fatalf("audit archive = %q, %v", out, err)
	}
	if fi, err := os.Stat(arch); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("archive file: %v, mode %v; want 0600", err, fi.Mode())
	}
	if _, err := runCmd("audit", "archive", "--before", future, "--out", arch, "--data", dir); exitCode(err) != 2 {
		t.Errorf("archive over an existing file: exit %d, want 2", exitCode(err))
	}
	for _, args := range [][]string{
		{"audit", "verify", "--archive", arch},
		{"audit", "verify", "--archive", arch, "--data", dir},
		{"audit", "verify", "--data", dir},
	} {
		if out, err := runCmd(args...); err != nil || !strings.Contains(out, "chain intact") {
			t.Errorf("%v = %q, %v", args, out, err)
		}
	}
	out, _ = runCmd("audit", "verify", "--archive", arch, "--data", dir)
	if !strings.Contains(out, "7 records, chain intact") {
		t.Errorf("archive and store together: %q, want 7 records (6 archived, the archive record)", out)
	}
	b, _ := os.ReadFile(arch)
	os.WriteFile(arch, bytes.Replace(b, []byte(`"reason":"malformed"`), []byte(`"reason":"too-large"`), 1), 0o600)
	out, err = runCmd("audit", "verify", "--archive", arch)
	if exitCode(err) != 1 || !strings.Contains(out, "(modified)") {
		t.Errorf("verify of an edited archive = %q, exit %d; want a modified record, exit 1", out, exitCode(err))
	}
}

func TestAuditShowAndExport(t *testing.T) {
	dir := auditStore(t)
	if _, err := runCmd("audit", "show", "--doc", "7", "--data", dir); exitCode(err) != 2 {
		t.Errorf("audit show of an unknown document: exit %d, want 2", exitCode(err))
	}
	out, err := runCmd("audit", "export", "--format", "jsonl", "--data", dir)
	if err != nil || strings.Count(out, "\n") != 6 || !strings.Contains(out, `"kind":"input.failed"`) {
		t.Errorf("export jsonl = %q, %v", out, err)
	}
	out, err = runCmd("audit", "export", "--format", "fhir", "--instance", "lab1", "--data", dir)
	if err != nil || strings.Count(out, `"resourceType":"AuditEvent"`) != 6 {
		t.Errorf("export fhir = %q, %v", out, err)
	}
	validateAuditEvents(t, []byte(out))
	if _, err := runCmd("audit", "export", "--format", "xml", "--data", dir); exitCode(err) != 2 {
		t.Errorf("export --format xml: exit %d, want 2", exitCode(err))
	}
}

func TestAuditConfig(t *testing.T) {
	base := "data: d\nmes: {base_url: http://mes}\n"
	tests := []struct {
		name, yaml string
		wantErr    string
	}{
		{"none", "", ""},
		{"syslog and fhir", "audit: {instance: lab1, forward: {syslog: {addr: 'siem:6514', ca: ca.pem, cert: c.pem, key: k.pem}, fhir: {url: 'https://arr.example/fhir'}}}\n", ""},
		{"bad addr", "audit: {forward: {syslog: {addr: siem}}}\n", "audit.forward.syslog.addr"},
		{"cert without key", "audit: {forward: {syslog: {addr: 'siem:6514', cert: c.pem}}}\n", "cert and key go together"},
		{"bad url", "audit: {forward: {fhir: {url: 'ftp://x'}}}\n", "audit.forward.fhir.url"},
		{"unknown key", "audit: {forward: {kafka: {}}}\n", "kafka"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseConfig([]byte(base + tt.yaml))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("parseConfig: %v", err)
				}
				if tt.name == "syslog and fhir" && strings.Join(c.Audit.targets(), ",") != "syslog,fhir" {
					t.Errorf("targets = %v, want syslog,fhir", c.Audit.targets())
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parseConfig error = %v, want it to mention %q", err, tt.wantErr)
			}
		})
	}
}
