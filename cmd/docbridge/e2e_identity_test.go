package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/store"
	"github.com/docbridge/docbridge/mes/messim"
	"github.com/docbridge/docbridge/samples"
)

// TestEndToEndIdentity runs the daemon with an MLLP listener and a drop
// folder against the simulator, the sample patient paired, and checks the
// identity guards of issue 15 (cases 6, 7 and 8) through real sockets,
// files and the real CLI:
//
//   - an ORU^R01 with a bare PDF and a wrong INS check key gets AE
//     ins-invalid (not AA and a review for the PDF's missing metadata);
//   - a CDA without the five traits, in review, can never be confirmed
//     through `docbridge queue review`, however often a person tries;
//   - a PDF whose sidecar names the paired patient and whose file name
//     (through the default pattern) carries another patient's INS stops in
//     review for identity-mismatch.
//
// None of them reaches MES; a good document dropped last is delivered,
// showing that the chain to the simulator works.
func TestEndToEndIdentity(t *testing.T) {
	addr := freePort(t)
	e := newE2EServer(t, messim.Options{}, nil, fmt.Sprintf("mllp:\n  - {name: lis, addr: %q, idle_timeout: 1m}\n", addr))
	cmd := e.start()
	e.waitListening(addr)

	t.Run("bare PDF with a wrong INS key over MLLP", func(t *testing.T) {
		ack := mllpSend(t, addr, oruBarePDFWithINS(t, "E2E-ID-1", "285047505612399"))
		if got, want := msa(ack), "AE E2E-ID-1"; got != want {
			t.Errorf("MSA = %q, want %q", got, want)
		}
		errSeg, ok := ack.Segment("ERR")
		if !ok {
			t.Fatal("the AE has no ERR segment")
		}
		if got := errSeg.Field(8).String(); !strings.HasPrefix(got, "ins-invalid: ") || strings.Contains(got, "285047505612399") {
			t.Errorf("ERR-8 = %q, want the ins-invalid reason without the INS", got)
		}
	})

	t.Run("no traits: never confirmed", func(t *testing.T) {
		const id = "urn:oid:1.2.250.1.999.42.1.7601"
		dropNamed(t, e, "no-traits.xml", cdaWithoutTraits(t, "1.2.250.1.999.42.1.7601"))
		row := e.docWhen(id, func(r store.DocRow) bool { return r.State == docbridge.Review })
		// A person tries to confirm it, twice, with the diff shown each
		// time (when there is one), through the real command.
		for try := 1; try <= 2; try++ {
			var out bytes.Buffer
			if err := run(context.Background(), []string{"queue", "review", "-c", e.cfg, "--id", fmt.Sprint(row.ID)}, &out, &out); err != nil {
				t.Fatalf("queue review --id %d: %v\n%s", row.ID, err, out.String())
			}
			args := []string{"queue", "review", "-c", e.cfg, "--id", fmt.Sprint(row.ID), "--confirm", "--note", "the lab says it is fine"}
			if m := regexp.MustCompile(`--diff ([0-9a-f]{32})`).FindStringSubmatch(out.String()); m != nil {
				args = append(args, "--diff", m[1])
			}
			out.Reset()
			if err := run(context.Background(), args, &out, &out); err == nil {
				t.Errorf("confirmation %d of a document without its traits was accepted:\n%s", try, out.String())
			}
			// Whatever happened, let the stages run on it.
			row = e.docWhen(id, func(r store.DocRow) bool { return r.State != docbridge.Converted && r.State != docbridge.Matched })
		}
		if row.State != docbridge.Review || row.Reason != docbridge.MissingTrait {
			t.Errorf("document is %s/%s, want review/missing-trait", row.State, row.Reason)
		}
	})

	t.Run("sidecar and file name name two patients", func(t *testing.T) {
		const id = "urn:oid:1.2.250.1.999.42.1.1101" // the sample sidecar's
		side, err := fs.ReadFile(samples.FS, "cr-bio-sidecar.json")
		if err != nil {
			t.Fatal(err)
		}
		pdf, err := fs.ReadFile(samples.FS, "cr-bio-sidecar.pdf")
		if err != nil {
			t.Fatal(err)
		}
		// The default pattern {ins}_{type}_{date}.pdf reads another
		// patient's INS from the name; the sidecar names the paired one.
		const stem = "192036912304577_11502-2_20250301"
		dropNamed(t, e, stem+".json", side)
		dropNamed(t, e, stem+".pdf", pdf)
		row := e.docWhen(id, func(r store.DocRow) bool { return r.State.Final() || r.State == docbridge.Review })
		if row.State != docbridge.Review || row.Reason != docbridge.IdentityMismatch ||
			!strings.Contains(row.Message, "sidecar") || !strings.Contains(row.Message, "file name") || strings.Contains(row.Message, "192036912304577") {
			t.Errorf("document is %s/%s %q, want review/identity-mismatch naming the sidecar and the file name, not the INS", row.State, row.Reason, row.Message)
		}
	})

	// A good document, dropped last, is delivered: the simulator is
	// reachable, and what it holds is exactly that.
	good, err := fs.ReadFile(samples.FS, "cr-bio-n1-pdf.xml")
	if err != nil {
		t.Fatal(err)
	}
	dropNamed(t, e, "good.xml", good)
	e.waitFor("the good document delivered", 2*time.Minute, func() bool { return e.delivered() == 1 })
	stopDaemon(t, cmd)
	var held []string
	for _, d := range e.sim.Documents() {
		held = append(held, d.UniqueID)
	}
	if len(held) != 1 || held[0] != "urn:oid:1.2.250.1.999.42.1.1001" {
		t.Errorf("the simulator holds %v, want only the good document urn:oid:1.2.250.1.999.42.1.1001", held)
	}
	log, _ := os.ReadFile(filepath.Join(e.dir, "daemon.log"))
	assertNoPatientData(t, string(log))
}

// oruBarePDFWithINS builds an ORU^R01 for the sample patient, with this INS, whose
// OBX carries the sample PDF as a bare base64 PDF (no CDA around it).
func oruBarePDFWithINS(t *testing.T, controlID, ins string) []byte {
	t.Helper()
	pdf, err := fs.ReadFile(samples.FS, "cr-bio-sidecar.pdf")
	if err != nil {
		t.Fatal(err)
	}
	segs := []string{
		"MSH|^~\\&|LIS-E2E|LABO-DB|DOCBRIDGE|MES|20250114093500||ORU^R01^ORU_R01|" + controlID + "|P|2.5|||||FRA|UNICODE UTF-8|||2.1^CISIS_CDA_HL7_V2",
		"PID|1||" + ins + "^^^ASIP-SANTE-INS-NIR&1.2.250.1.213.1.4.10&ISO^INS||DOCBRIDGE-TEST^CAMILLE^CAMILLE MARIE-ANNE^^^^L||19850417|F|||~^^^^^^BDL^^75056",
		"ORC|NW|CMD-" + controlID + "^LABO-DB",
		"OBR|1|CMD-" + controlID + "^LABO-DB|DOS-" + controlID + "^LABO-DB|11502-2^CR d'examens biologiques^LN|||20250114093000",
		"OBX|1|ED|11502-2^CR d'examens biologiques^LN||^application^pdf^Base64^" + base64.StdEncoding.EncodeToString(pdf) + "||||||F",
	}
	return []byte(strings.Join(segs, "\r") + "\r")
}

// cdaWithoutTraits is the sample CDA with an unmapped document type (a
// review a person could settle) and a patient who has only the INS: none
// of the five strict traits.
func cdaWithoutTraits(t *testing.T, root string) []byte {
	t.Helper()
	b, err := fs.ReadFile(samples.FS, "refused-unknown-type.xml")
	if err != nil {
		t.Fatal(err)
	}
	b = regexp.MustCompile(`<id root="1\.2\.250\.1\.999\.42\.1\.1007"/>`).ReplaceAll(b, []byte(`<id root="`+root+`"/>`))
	out := regexp.MustCompile(`(?s)<patient classCode="PSN">.*?</patient>`).ReplaceAll(b, []byte(`<patient classCode="PSN"/>`))
	if bytes.Equal(out, b) || !bytes.Contains(out, []byte(root)) {
		t.Fatal("the sample's patient or id was not found")
	}
	return out
}

// dropNamed writes a file into the drop folder under a temporary name and
// renames it in.
func dropNamed(t *testing.T, e *e2e, name string, b []byte) {
	t.Helper()
	drop := filepath.Join(e.dir, "drop")
	if err := os.MkdirAll(drop, 0o750); err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(drop, "."+name+".part")
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(drop, name)); err != nil {
		t.Fatal(err)
	}
}

// docWhen waits until the daemon's store holds the document with this
// uniqueId and ok accepts its row, and returns the row.
func (e *e2e) docWhen(uniqueID string, ok func(store.DocRow) bool) store.DocRow {
	e.t.Helper()
	var found store.DocRow
	e.waitFor("document "+uniqueID, 2*time.Minute, func() bool {
		st, err := e.openStore()
		if err != nil {
			return false
		}
		defer st.Close()
		rows, err := st.Documents(context.Background(), store.Filter{})
		if err != nil {
			return false
		}
		for _, r := range rows {
			if r.UniqueID == uniqueID && ok(r) {
				found = r
				return true
			}
		}
		return false
	})
	return found
}
