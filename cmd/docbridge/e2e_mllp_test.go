package main

import (
	"encoding/base64"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/hl7"
	"github.com/docbridge/docbridge/mes/messim"
	"github.com/docbridge/docbridge/samples"
)

// freePort returns a loopback address nobody listens on now.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// oruAround builds an ORU^R01 carrying the sample CDA of the paired
// patient with the document id root, base64 in OBX-5.
func oruAround(t *testing.T, controlID, root string) []byte {
	t.Helper()
	cda, err := fs.ReadFile(samples.FS, "cr-bio-n1-pdf.xml")
	if err != nil {
		t.Fatal(err)
	}
	cda = regexp.MustCompile(`<id root="1\.2\.250\.1\.999\.42\.1\.1001"/>`).ReplaceAll(cda, []byte(`<id root="`+root+`"/>`))
	segs := []string{
		"MSH|^~\\&|LIS-E2E|LABO-DB|DOCBRIDGE|MES|20250114093500||ORU^R01^ORU_R01|" + controlID + "|P|2.5|||||FRA|UNICODE UTF-8|||2.1^CISIS_CDA_HL7_V2",
		"PID|1||285047505612322^^^ASIP-SANTE-INS-NIR&1.2.250.1.213.1.4.10&ISO^INS||DOCBRIDGE-TEST^CAMILLE^CAMILLE MARIE-ANNE^^^^L||19850417|F|||~^^^^^^BDL^^75056",
		"ORC|NW",
		"OBR|1|||11502-2^CR d'examens biologiques^LN",
		"OBX|1|ED|11502-2^CR d'examens biologiques^LN||^TEXT^XML^Base64^" + base64.StdEncoding.EncodeToString(cda) + "||||||F",
		"OBX|2|CE|MASQUE_PS^Masqué aux professionnels de Santé^MetaDMPMSS||N^^expandedYes-NoIndicator||||||F",
	}
	return []byte(strings.Join(segs, "\r") + "\r")
}

// mllpSend sends one message on a new connection and returns the ACK.
func mllpSend(t *testing.T, addr string, msg []byte) *hl7.Message {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(30 * time.Second))
	if err := hl7.WriteFrame(nc, msg); err != nil {
		t.Fatal(err)
	}
	raw, err := hl7.NewReader(nc, 0).ReadMessage()
	if err != nil {
		t.Fatalf("read the ACK: %v", err)
	}
	ack, err := hl7.Parse(raw)
	if err != nil {
		t.Fatalf("the ACK does not parse: %v", err)
	}
	return ack
}

func msa(ack *hl7.Message) string {
	s, _ := ack.Segment("MSA")
	return s.Field(1).String() + " " + s.Field(2).String()
}

// TestEndToEndMLLP runs the daemon with an MLLP listener: an ORU^R01 with a
// base64 CDA gets AA, its resend AA again, and the simulator holds it once;
// a placeholder payload gets AE with an ERR segment; an .hl7 file dropped
// in the folder goes through the same converter.
func TestEndToEndMLLP(t *testing.T) {
	addr := freePort(t)
	e := newE2EServer(t, messim.Options{}, nil, fmt.Sprintf("mllp:\n  - {name: lis, addr: %q, max_message_bytes: 2000000, idle_timeout: 1m}\n", addr))
	cmd := e.start()
	e.waitListening(addr)

	msg := oruAround(t, "E2E-0001", "1.2.250.1.999.42.1.5001")
	for i := range 2 {
		if got, want := msa(mllpSend(t, addr, msg)), "AA E2E-0001"; got != want {
			t.Fatalf("send %d: MSA = %q, want %q", i+1, got, want)
		}
	}

	// A placeholder instead of the CDA, as in the ANS examples.
	bad := regexp.MustCompile(`\^Base64\^[^|]*`).ReplaceAll(oruAround(t, "E2E-0002", "1.2.250.1.999.42.1.5002"),
		[]byte("^Base64^"+base64.StdEncoding.EncodeToString([]byte("Document au format CDA"))))
	ack := mllpSend(t, addr, bad)
	if got, want := msa(ack), "AE E2E-0002"; got != want {
		t.Errorf("placeholder: MSA = %q, want %q", got, want)
	}
	errSeg, ok := ack.Segment("ERR")
	if !ok {
		t.Fatal("the AE has no ERR segment")
	}
	if got, want := errSeg.Field(2).String(), "OBX^1^5^^5"; got != want {
		t.Errorf("ERR-2 = %q, want %q", got, want)
	}
	if got, want := errSeg.Field(3).Comp(1).String(), "102"; got != want {
		t.Errorf("ERR-3 = %q, want %q", got, want)
	}
	if got := errSeg.Field(8).String(); !strings.HasPrefix(got, "malformed: OBX-5.5: base64 decodes to 22 bytes of text, not a CDA") {
		t.Errorf("ERR-8 = %q", got)
	}

	// The same converter reads an .hl7 file from the drop folder.
	drop := filepath.Join(e.dir, "drop")
	os.MkdirAll(drop, 0o750)
	sample, err := fs.ReadFile(samples.FS, "oru-r01-cr-bio.hl7")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(drop, ".lab.hl7.part"), sample, 0o600)
	os.Rename(filepath.Join(drop, ".lab.hl7.part"), filepath.Join(drop, "lab.hl7"))

	e.waitFor("two deliveries", 2*time.Minute, func() bool { return e.delivered() == 2 })
	stopDaemon(t, cmd)
	ids := map[string]int{}
	for _, d := range e.sim.Documents() {
		ids[d.UniqueID]++
	}
	for _, id := range []string{"urn:oid:1.2.250.1.999.42.1.5001", "urn:oid:1.2.250.1.999.42.1.3001"} {
		if ids[id] != 1 {
			t.Errorf("document %s is at the simulator %d times, want once (all: %v)", id, ids[id], ids)
		}
	}
	if got, want := e.sim.Count(), 2; got != want {
		t.Errorf("simulator holds %d documents, want %d", got, want)
	}
	log, _ := os.ReadFile(filepath.Join(e.dir, "daemon.log"))
	if !strings.Contains(string(log), `"msh10_ref":"`+docbridge.Ref("E2E-0001")+`"`) {
		t.Error("the daemon log does not name the message by msh10_ref")
	}
	assertNoPatientData(t, string(log))
}

// TestEndToEndMLLPCorpus sends the ANS HL7 v2 examples of the shared
// corpus, when present, over a real MLLP socket and checks each gets the
// acknowledgement its real defects call for. They are read in place, never
// copied. Their patient is not paired, so nothing reaches the simulator.
func TestEndToEndMLLPCorpus(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "shared", "corpus", "hl7v2")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("corpus directory %s is not present", dir)
	}
	want := map[string]string{ // file → MSA-1 and ERR-3
		"oru_r01_segur_init_n3_base64.hl7":       "AA",
		"oru_r01_v21_rplc_n1_n3_base64.hl7":      "AA", // stored; its documents wait for review (the CDA names another INS)
		"mdm_t02_segur_init_n1_base64.hl7":       "AA",
		"oru_r01_v21_init_n1_n3_placeholder.hl7": "AE 102",
		"oru_r01_v21_del_n1_n3.hl7":              "AE 102",
		"mdm_v12.hl7":                            "AE 102",
		"mdm_lps_mss_v10.hl7":                    "AE 102",
		"adt_a01_pamfr_211_admission.hl7":        "AE 200",
		"adt_pamfr_consentement_dmp.hl7":         "AE 200",
	}
	addr := freePort(t)
	e := newE2EServer(t, messim.Options{}, nil, fmt.Sprintf("mllp:\n  - {name: ans, addr: %q}\n", addr))
	cmd := e.start()
	e.waitListening(addr)
	for name, w := range want {
		raw, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		ack := mllpSend(t, addr, raw)
		msaSeg, _ := ack.Segment("MSA")
		got := msaSeg.Field(1).String()
		if errSeg, ok := ack.Segment("ERR"); ok {
			got += " " + errSeg.Field(3).Comp(1).String()
		}
		if got != w {
			errSeg, _ := ack.Segment("ERR")
			t.Errorf("%s: ACK %q, want %q (ERR-8 %q)", name, got, w, errSeg.Field(8).String())
		}
		if msaSeg.Field(2).String() != "015" && msaSeg.Field(2).String() != "3975" {
			t.Errorf("%s: MSA-2 = %q, want the message's MSH-10", name, msaSeg.Field(2).String())
		}
	}
	stopDaemon(t, cmd)
	if got := e.sim.Count(); got != 0 {
		t.Errorf("simulator holds %d documents, want none (the corpus patient is not paired)", got)
	}
	log, _ := os.ReadFile(filepath.Join(e.dir, "daemon.log"))
	for _, secret := range []string{"279035121518989", "PAT-TROIS", "19790328"} {
		if strings.Contains(string(log), secret) {
			t.Errorf("the daemon log holds patient data of the corpus")
		}
	}
}
