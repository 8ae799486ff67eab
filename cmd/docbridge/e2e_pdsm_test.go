package main

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/mes"
	"github.com/docbridge/docbridge/mes/messim"
	"github.com/docbridge/docbridge/samples"
)

// usePDSm switches an e2e daemon's configuration to the pdsm-iti65 profile.
func (e *e2e) usePDSm() {
	e.t.Helper()
	b, err := os.ReadFile(e.cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	cfg := strings.Replace(string(b), "mes: {", `mes: {profile: pdsm-iti65, source_id: "1.2.250.1.999.42.77", `, 1)
	if cfg == string(b) {
		e.t.Fatal("no mes section in the e2e configuration")
	}
	if err := os.WriteFile(e.cfg, []byte(cfg), 0o600); err != nil {
		e.t.Fatal(err)
	}
}

// mesCmd runs `docbridge mes SUBCOMMAND -c CFG ARGS` in this process.
func (e *e2e) mesCmd(sub string, args ...string) (string, error) {
	var out, errOut bytes.Buffer
	err := run(context.Background(), append([]string{"mes", sub, "-c", e.cfg}, args...), &out, &errOut)
	if err != nil {
		e.t.Logf("docbridge mes %s %s: %v\n%s", sub, strings.Join(args, " "), err, errOut.String())
	}
	return out.String(), err
}

// TestEndToEndPDSm: the daemon, configured with the pdsm-iti65 profile,
// delivers the samples (a replacement among them) to the simulator as
// ITI-65 transactions; `docbridge mes search` finds them and `mes get`
// retrieves bytes equal to the originals.
func TestEndToEndPDSm(t *testing.T) {
	e := newE2EWith(t, messim.Options{})
	e.usePDSm()
	cmd := e.start()
	first := []string{"cr-bio-n1-pdf.xml", "cr-bio-structured.xml", "lettre-liaison-sortie.xml", "oru-r01-cr-bio.hl7"}
	for _, name := range first {
		e.dropSample(name, nil)
	}
	e.waitFor("4 deliveries", time.Minute, func() bool { return e.delivered() == 4 })
	e.dropSample("cr-bio-replace.xml", nil) // after the version it replaces
	e.waitFor("the replacement", time.Minute, func() bool {
		return e.sim.Count() == 5 && e.countIn(docbridge.Superseded, "") == 1 && e.delivered() == 4
	})
	stopDaemon(t, cmd)

	const (
		structured = "urn:oid:1.2.250.1.999.42.1.1002"
		replaced   = "urn:oid:1.2.250.1.999.42.1.1004"
	)
	for _, d := range e.sim.Documents() {
		if d.Profile != mes.ProfilePDSm {
			t.Errorf("document %s came through %q, want pdsm-iti65", d.UniqueID, d.Profile)
		}
		switch want := "current"; d.UniqueID {
		case structured:
			if d.Status != "superseded" {
				t.Errorf("%s is %s, want superseded", d.UniqueID, d.Status)
			}
		case replaced:
			if d.Status != want || d.Replaces != structured {
				t.Errorf("%s is %s replacing %q, want current replacing %s", d.UniqueID, d.Status, d.Replaces, structured)
			}
		default:
			if d.Status != want {
				t.Errorf("%s is %s, want current", d.UniqueID, d.Status)
			}
		}
	}
	log, _ := os.ReadFile(filepath.Join(e.dir, "daemon.log"))
	assertNoPatientData(t, string(log))

	var ps []docbridge.Pairing
	b, _ := fs.ReadFile(samples.FS, "pairings.json")
	json.Unmarshal(b, &ps)
	pairing := ps[0].ID

	out, err := e.mesCmd("search", "--pairing", pairing, "--json")
	if err != nil {
		t.Fatal(err)
	}
	var current []mes.Found
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var f mes.Found
		if err := json.Unmarshal([]byte(line), &f); err != nil {
			t.Fatalf("search --json line %q: %v", line, err)
		}
		current = append(current, f)
	}
	var ids []string
	for _, f := range current {
		ids = append(ids, f.UniqueID)
	}
	slices.Sort(ids)
	if len(ids) != 4 || slices.Contains(ids, structured) || !slices.Contains(ids, replaced) {
		t.Errorf("mes search found %v, want the 4 current documents, the replacement and not the version it replaced", ids)
	}
	if out, err := e.mesCmd("search", "--pairing", pairing, "--status", "superseded"); err != nil || !strings.Contains(out, structured) {
		t.Errorf("mes search --status superseded: %v\n%s", err, out)
	}

	sent := map[string][]byte{} // the bytes docbridge sent: the CDA files as they are
	for _, name := range []string{"cr-bio-n1-pdf.xml", "lettre-liaison-sortie.xml", "cr-bio-replace.xml"} {
		raw, _ := fs.ReadFile(samples.FS, name)
		sent[name] = raw
	}
	for _, f := range current {
		outFile := filepath.Join(e.dir, "got-"+strings.NewReplacer(":", "-", "^", "-").Replace(f.UniqueID))
		if _, err := e.mesCmd("get", "--pairing", pairing, "-o", outFile, f.UniqueID); err != nil {
			t.Errorf("mes get %s: %v", f.UniqueID, err)
			continue
		}
		got, err := os.ReadFile(outFile)
		if err != nil {
			t.Fatal(err)
		}
		if st, _ := os.Stat(outFile); st.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", outFile, st.Mode().Perm())
		}
		sum := sha1.Sum(got)
		if hex.EncodeToString(sum[:]) != f.SHA1 {
			t.Errorf("%s: retrieved SHA-1 %x, MES says %s", f.UniqueID, sum, f.SHA1)
		}
		matched := false
		for _, raw := range sent {
			matched = matched || bytes.Equal(got, raw)
		}
		if !matched && !strings.HasSuffix(f.UniqueID, ".3001") { // the ORU's document is the CDA inside it
			t.Errorf("%s: the retrieved bytes are none of the files sent", f.UniqueID)
		}
	}
	// By URL, to standard output.
	var stdout, stderr bytes.Buffer
	err = run(context.Background(), []string{"mes", "get", "--pairing", pairing, "-c", e.cfg, current[0].URL}, &stdout, &stderr)
	if sum := sha1.Sum(stdout.Bytes()); err != nil || hex.EncodeToString(sum[:]) != current[0].SHA1 {
		t.Errorf("mes get URL: %v; %d bytes\n%s", err, stdout.Len(), stderr.String())
	}
}

func TestMESCommandUsage(t *testing.T) {
	e := newE2EWith(t, messim.Options{})
	tests := []struct {
		args []string
		code int
	}{
		{[]string{"mes"}, 2},
		{[]string{"mes", "frobnicate"}, 2},
		{[]string{"mes", "search", "-c", e.cfg}, 2},                                       // no --pairing
		{[]string{"mes", "search", "-c", e.cfg, "--pairing", "nobody"}, 2},                // unknown pairing
		{[]string{"mes", "search", "-c", e.cfg, "--pairing", "x", "--status", "gone"}, 2}, // bad status
		{[]string{"mes", "search", "-c", e.cfg, "--pairing", "x", "--profile", "xds"}, 2},
		{[]string{"mes", "get", "-c", e.cfg, "--pairing", "x"}, 2}, // no REF
		{[]string{"mes", "get", "-c", e.cfg, "--pairing", "pairing-docbridge-test-1", "urn:oid:1.2.250.1.999.404"}, 1},
		{[]string{"mes", "--help"}, 0},
	}
	for _, tt := range tests {
		var out bytes.Buffer
		err := run(context.Background(), tt.args, &out, &out)
		if got := exitCode(err); got != tt.code {
			t.Errorf("docbridge %s: exit %d (%v), want %d\n%s", strings.Join(tt.args, " "), got, err, tt.code, out.String())
		}
	}
}
