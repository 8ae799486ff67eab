package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/store"
	"github.com/docbridge/docbridge/mes"
	"github.com/docbridge/docbridge/mes/messim"
)

// labProfileYAML is the lab's source profile, for the MLLP listener lis
// and the sending application LIS-PDF.
const labProfileYAML = `profiles:
  - name: lab
    when: {intake: lis, sending_application: LIS-PDF}
    facility_type: SA25
    practice_setting: AMBULATOIRE
    custodian: {id: "1.2.250.1.71.4.2.2^1999999901", name: Laboratoire docbridge (fictif)}
    author: {id: "10000000001", name: Biologiste FICTIF, specialty: G15_10/SM54}
    confidentiality: N
    language: fr-FR
`

// clinicProfileYAML is the profile of a clinic's software posting to the
// FHIR intake with its named token.
const clinicProfileYAML = `profiles:
  - name: clinic
    when: {intake: fhir, sender: clinic-a}
    practice_setting: ETABLISSEMENT
`

// barePDFMessage builds an HL7 v2 message of the lab's LIS carrying pdf
// bare in OBX-5 for the paired patient: event is "ORU" (ORU^R01, ORC NW,
// OBX-11 F, the document id in OBR-3) or an MDM event (T10 replacing
// replaces, T04 deleting id; the ids in TXA-12 and TXA-13).
func barePDFMessage(event, control, id, replaces string, pdf []byte) []byte {
	const root = "1.2.250.1.999.42.1"
	msh := "MSH|^~\\&|LIS-PDF|LABO-PDF|DOCBRIDGE|MES|20250114093500||%s|" + control + "|P|2.6|||||FRA|UNICODE UTF-8|||2.1^CISIS_CDA_HL7_V2"
	pid := "PID|1||285047505612322^^^ASIP-SANTE-INS-NIR&1.2.250.1.213.1.4.10&ISO^INS||DOCBRIDGE-TEST^CAMILLE^CAMILLE MARIE-ANNE^^^^L||19850417|F|||~^^^^^^BDL^^75056"
	obx := func(status string) string {
		return "OBX|1|ED|11502-2^CR d'examens biologiques^LN||^application^pdf^Base64^" + base64.StdEncoding.EncodeToString(pdf) + "||||||" + status
	}
	var segs []string
	switch event {
	case "ORU":
		segs = []string{fmt.Sprintf(msh, "ORU^R01^ORU_R01"), pid, "ORC|NW",
			"OBR|1||" + id + "^^" + root + "^ISO|11502-2^CR d'examens biologiques^LN|||20250114093000|||||||||||||||||F|||||||899700000011&EXEMPLE-BIOLOGISTE&Claire&&&&&&&1.2.250.1.71.4.2.1",
			obx("F")}
	case "T10", "T04":
		orc, status := "ORC|RO", "C"
		if event == "T04" {
			orc, status = "ORC|CA", "D"
		}
		txa := "TXA|1|11502-2^CR d'examens biologiques^LN|TEXT|20250115093000+0100|||||899700000011^EXEMPLE-BIOLOGISTE^Claire^^^^^^ASIP-SANTE-PS&1.2.250.1.71.4.2.1&ISO|||" +
			id + "^^" + root + "^ISO|"
		if replaces != "" {
			txa += replaces + "^^" + root + "^ISO"
		}
		txa += "||||AU"
		segs = []string{fmt.Sprintf(msh, "MDM^"+event+"^MDM_T02"), "EVN||20250115093500", pid, orc, txa, obx(status)}
	}
	return []byte(strings.Join(segs, "\r") + "\r")
}

// TestEndToEndProfilesBarePDF: under the lab's profile, an ORU^R01 with a
// bare PDF for the paired patient is delivered, an MDM^T10 replaces it and
// an MDM^T04 deletes the replacement, through both MES profiles; the
// simulator holds the first superseded and the second deleted.
func TestEndToEndProfilesBarePDF(t *testing.T) {
	for _, profile := range []string{mes.ProfileMESAPI, mes.ProfilePDSm} {
		t.Run(profile, func(t *testing.T) { testProfilesBarePDF(t, profile) })
	}
}

func testProfilesBarePDF(t *testing.T, profile string) {
	addr := freePort(t)
	e := newE2EServer(t, messim.Options{}, nil, fmt.Sprintf("mllp:\n  - {name: lis, addr: %q}\n", addr)+labProfileYAML)
	if profile == mes.ProfilePDSm {
		e.usePDSm()
	}
	cmd := e.start()
	defer stopDaemon(t, cmd)
	e.waitListening(addr)
	pdf := readRepoFile(t, "convert", "pdf", "testdata", "cr-bio.pdf")
	const v1, v2 = "1.2.250.1.999.42.1^7001", "1.2.250.1.999.42.1^7002"
	held := func(id, status string) func() bool {
		return func() bool {
			for _, d := range e.sim.Documents() {
				if d.UniqueID == id && d.Status == status {
					return true
				}
			}
			return false
		}
	}

	if got, want := msa(mllpSend(t, addr, barePDFMessage("ORU", "PDF-0001", "7001", "", pdf))), "AA PDF-0001"; got != want {
		t.Fatalf("ORU^R01: MSA = %q, want %q", got, want)
	}
	e.waitFor("the ORU's PDF current at MES", time.Minute, held(v1, "current"))

	// The replacement carries other bytes (a corrected report).
	v2pdf := append(append([]byte{}, pdf...), []byte("\n%corrected\n")...)
	if got, want := msa(mllpSend(t, addr, barePDFMessage("T10", "PDF-0002", "7002", "7001", v2pdf))), "AA PDF-0002"; got != want {
		t.Fatalf("MDM^T10: MSA = %q, want %q", got, want)
	}
	e.waitFor("the T10's PDF current at MES", time.Minute, held(v2, "current"))
	e.waitFor("the ORU's PDF superseded at MES", time.Minute, held(v1, "superseded"))

	// The deletion's message carries the PDF it withdraws, with a mark so
	// that its input is not the T10's bytes.
	delPDF := append(append([]byte{}, v2pdf...), []byte("%withdrawn\n")...)
	if got, want := msa(mllpSend(t, addr, barePDFMessage("T04", "PDF-0003", "7002", "", delPDF))), "AA PDF-0003"; got != want {
		t.Fatalf("MDM^T04: MSA = %q, want %q", got, want)
	}
	e.waitFor("the T10's PDF deleted at MES", time.Minute, held(v2, "deleted"))

	current := 0
	for _, d := range e.sim.Documents() {
		if d.Profile != profile {
			t.Errorf("%s came through %s, want %s", d.UniqueID, d.Profile, profile)
		}
		if d.Status == "current" {
			current++
		}
	}
	if current != 0 {
		t.Errorf("%d documents current at MES after the deletion, want 0: %+v", current, e.sim.Documents())
	}
	st, err := e.openStore()
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	docs, err := st.Documents(context.Background(), store.Filter{UniqueID: v1})
	if err != nil || len(docs) == 0 {
		t.Fatalf("the store has no document %s: %v", v1, err)
	}
	if got := docs[0].Doc.Provenance["facilityType"]; got != "profile:lab" {
		t.Errorf("provenance of the facility type = %q, want profile:lab", got)
	}
	log, _ := os.ReadFile(filepath.Join(e.dir, "daemon.log"))
	assertNoPatientData(t, string(log))
}

// TestEndToEndProfilesFHIRDocument posts a FHIR document Bundle, which has
// no element for the practice setting, with a named token: the sender's
// profile gives it and the document reaches MES, through both profiles.
func TestEndToEndProfilesFHIRDocument(t *testing.T) {
	for _, profile := range []string{mes.ProfileMESAPI, mes.ProfilePDSm} {
		t.Run(profile, func(t *testing.T) { testProfilesFHIRDocument(t, profile) })
	}
}

func testProfilesFHIRDocument(t *testing.T, profile string) {
	addr := freePort(t)
	e := newE2EServer(t, messim.Options{}, nil, "fhir: {addr: "+addr+", tokens_file: tokens}\n"+clinicProfileYAML)
	if profile == mes.ProfilePDSm {
		e.usePDSm()
	}
	if err := os.WriteFile(filepath.Join(e.dir, "tokens"), []byte("clinic-a "+fhirToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := e.start()
	defer stopDaemon(t, cmd)
	e.waitFor("the FHIR intake", 30*time.Second, func() bool {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	base := "http://" + addr
	resp, oo := fhirPost(t, base+"/Bundle", "application/fhir+json", bytes.NewReader(newFHIRDocument(t)))
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST /Bundle = %d: %+v", resp.StatusCode, oo)
	}
	loc := resp.Header.Get("Location")
	e.waitFor("the FHIR document delivered", time.Minute, func() bool {
		st := inputStatus(t, base, loc)
		if len(st.Documents) == 1 && (st.Documents[0].State == docbridge.Failed || st.Documents[0].State == docbridge.Review) {
			t.Fatalf("the FHIR document is %s: %s %s", st.Documents[0].State, st.Documents[0].Reason, st.Documents[0].Message)
		}
		return len(st.Documents) == 1 && st.Documents[0].State == docbridge.Delivered
	})
	found := false
	for _, d := range e.sim.Documents() {
		found = found || d.ContentType == "application/fhir+json" && d.Status == "current" && d.Profile == profile
	}
	if !found {
		t.Errorf("the simulator holds no current FHIR document: %+v", e.sim.Documents())
	}
}

// newFHIRDocument is the FHIR document Bundle of convert/fhir's testdata
// as a first version: without its relatesTo.
func newFHIRDocument(t *testing.T) []byte {
	t.Helper()
	var b map[string]any
	if err := json.Unmarshal(readRepoFile(t, "convert", "fhir", "testdata", "document-bundle.json"), &b); err != nil {
		t.Fatal(err)
	}
	comp := b["entry"].([]any)[0].(map[string]any)["resource"].(map[string]any)
	delete(comp, "relatesTo")
	out, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestConfigCheckProfiles: config check refuses a profile with a code the
// value sets do not know, or an intake nobody configured, naming the
// profile and the field (exit 2).
func TestConfigCheckProfiles(t *testing.T) {
	tests := []struct {
		name, profile string
		want          []string // "" profile: OK
	}{
		{"valid", "  - {name: lab, when: {intake: drop}, facility_type: SA25, practice_setting: AMBULATOIRE, author: {id: \"10000000001\", name: Dr X, specialty: G15_10/SM54}}\n", nil},
		{"facility type", "  - {name: lab, facility_type: SA99}\n", []string{`profiles[0]: profile "lab": facility_type: "SA99" is not a JDV_J02 code`}},
		{"specialty and custodian", "  - {name: lab, author: {id: \"10000000001\", name: X, specialty: SM54}, custodian: {id: \"1999999901\", name: L}}\n",
			[]string{`profile "lab": author.specialty: "SM54"`, `profile "lab": custodian.id:`}},
		{"unknown intake", "  - {name: lab, when: {intake: nowhere}}\n", []string{`profiles[0] (lab).when.intake: "nowhere" names no configured intake`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := filepath.Join(dir, "docbridge.yaml")
			body := fmt.Sprintf("environment: test\ndata: %q\nmes: {base_url: \"http://127.0.0.1:1\"}\nfolders:\n  - {name: drop, path: %q}\nprofiles:\n%s",
				filepath.Join(dir, "data"), filepath.Join(dir, "drop"), tt.profile)
			if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			err := run(context.Background(), []string{"config", "check", "-c", cfg}, &out, &out)
			var ue *usageError
			if tt.want == nil {
				if err != nil {
					t.Fatalf("config check: %v\n%s", err, out.String())
				}
				return
			}
			if !errors.As(err, &ue) || exitCode(err) != 2 {
				t.Fatalf("config check = %v (exit %d), want a usage error (exit 2)\n%s", err, exitCode(err), out.String())
			}
			for _, w := range tt.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("config check says\n%s\nwant it to name %q", out.String(), w)
				}
			}
		})
	}
}
