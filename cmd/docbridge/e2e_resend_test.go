package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io/fs"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/store"
	"github.com/docbridge/docbridge/mes/messim"
	"github.com/docbridge/docbridge/samples"
	"github.com/docbridge/docbridge/watch"
)

// The end-to-end tests of resends, deletions and versions (issue 15, cases
// 2, 3, 4 and 9): a real daemon with an MLLP listener, the FHIR intake and
// a drop folder, delivering to the simulator.

const (
	// pairedINS is the INS of the sample patient the simulator knows.
	pairedINS = "285047505612322"
	// otherINS is another valid test INS, of a patient nobody paired.
	otherINS = "185047505612372"
	// badKeyINS is pairedINS with a wrong check key.
	badKeyINS = "285047505612399"
)

// resendE2E starts a daemon with an MLLP listener, the FHIR intake and the
// drop folder, and extra configuration, after making the directories dirs
// (relative to its directory); it returns the daemon, the MLLP address and
// the FHIR base URL.
func resendE2E(t *testing.T, extra string, dirs ...string) (e *e2e, mllpAddr, fhirBase string, cmd *exec.Cmd) {
	t.Helper()
	mllpAddr, fhirAddr := freePort(t), freePort(t)
	e = newE2EServer(t, messim.Options{}, nil, fmt.Sprintf(
		"mllp:\n  - {name: lis, addr: %q, max_message_bytes: 2000000, idle_timeout: 1m}\nfhir: {addr: %q, tokens_file: tokens}\n",
		mllpAddr, fhirAddr)+extra)
	if err := os.WriteFile(filepath.Join(e.dir, "tokens"), []byte(fhirToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, d := range append(dirs, "drop") {
		os.MkdirAll(filepath.Join(e.dir, d), 0o750)
	}
	cmd = e.start()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			stopDaemon(t, cmd)
		}
	})
	for _, addr := range []string{mllpAddr, fhirAddr} {
		e.waitFor("the listener on "+addr, time.Minute, func() bool {
			nc, err := net.Dial("tcp", addr)
			if err == nil {
				nc.Close()
			}
			return err == nil
		})
	}
	return e, mllpAddr, "http://" + fhirAddr, cmd
}

// oruFor is oruAround with the paired patient's INS (in PID and in the
// CDA) replaced by ins and, when name is not "", the birth name too.
func oruFor(t *testing.T, controlID, root, ins, name string) []byte {
	t.Helper()
	msg := bytes.ReplaceAll(oruAround(t, controlID, root), []byte(pairedINS), []byte(ins))
	// The CDA is base64 in OBX-5: decode, replace, encode again.
	re := regexp.MustCompile(`\^Base64\^([^|\r]*)`)
	return re.ReplaceAllFunc(msg, func(m []byte) []byte {
		cda, err := base64.StdEncoding.DecodeString(string(re.FindSubmatch(m)[1]))
		if err != nil {
			t.Fatal(err)
		}
		cda = bytes.ReplaceAll(cda, []byte(pairedINS), []byte(ins))
		if name != "" {
			cda = bytes.ReplaceAll(cda, []byte("DOCBRIDGE-TEST"), []byte(name))
		}
		return []byte("^Base64^" + base64.StdEncoding.EncodeToString(cda))
	})
}

// withName replaces the birth name in PID.
func withName(msg []byte, name string) []byte {
	return bytes.Replace(msg, []byte("||DOCBRIDGE-TEST^"), []byte("||"+name+"^"), 1)
}

// mdmDelete builds an MDM^T04 deleting document root, carrying exactly
// the CDA that oruAround carries for it.
func mdmDelete(t *testing.T, controlID, root string) []byte {
	t.Helper()
	oru := string(oruAround(t, controlID, root))
	obx := oru[strings.Index(oru, "OBX|1|"):]
	obx = strings.TrimSuffix(obx[:strings.Index(obx, "\r")], "F") + "D" // OBX-11: deleted
	segs := []string{
		"MSH|^~\\&|LIS-E2E|LABO-DB|DOCBRIDGE|MES|20250115093500||MDM^T04^MDM_T02|" + controlID + "|P|2.6|||||FRA|UNICODE UTF-8|||2.1^CISIS_CDA_HL7_V2",
		"EVN||20250115093500",
		"PID|1||" + pairedINS + "^^^ASIP-SANTE-INS-NIR&1.2.250.1.213.1.4.10&ISO^INS||DOCBRIDGE-TEST^CAMILLE^CAMILLE MARIE-ANNE^^^^L||19850417|F|||~^^^^^^BDL^^75056",
		"PV1|1|O",
		"ORC|CA",
		"OBR|1|||11502-2^CR d'examens biologiques^LN",
		"TXA|1|11502-2^CR d'examens biologiques^LN|TEXT|20250114093000+0100||||||||" + root + "^LABO-DB|||||AU",
		obx,
	}
	return []byte(strings.Join(segs, "\r") + "\r")
}

// errSegment returns the ERR segment of an ACK as text.
func errSegment(t *testing.T, msg []byte) string {
	t.Helper()
	for _, seg := range strings.Split(string(msg), "\r") {
		if strings.HasPrefix(seg, "ERR|") {
			return seg
		}
	}
	t.Fatalf("no ERR segment in %q", msg)
	return ""
}

// simDoc returns what the simulator holds under uniqueID.
func simDoc(e *e2e, uniqueID string) (messim.Stored, bool) {
	for _, d := range e.sim.Documents() {
		if d.UniqueID == uniqueID {
			return d, true
		}
	}
	return messim.Stored{}, false
}

// docsOf returns the stored document versions of uniqueID, oldest first.
func docsOf(t *testing.T, e *e2e, uniqueID string) []store.DocRow {
	t.Helper()
	st, err := e.openStore()
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	all, err := st.Documents(context.Background(), store.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var out []store.DocRow
	for _, d := range all {
		if d.UniqueID == uniqueID {
			out = append(out, d)
		}
	}
	return out
}

// TestEndToEndResendRefused: an input refused the first time is refused
// again, with the same answer, when it is sent again unchanged — an ORU
// whose INS has a wrong check key gets AE with the same ERR, a PDF posted
// to the FHIR intake with such a sidecar gets 422 with the same
// OperationOutcome, a dropped CDA goes to failed/ with a reason file both
// times. The ORU sent again with its INS fixed corrects the refused
// version and is the one document MES receives.
func TestEndToEndResendRefused(t *testing.T) {
	e, addr, base, cmd := resendE2E(t, "")

	oru := oruFor(t, "E2E-R1", "1.2.250.1.999.42.1.6001", badKeyINS, "")
	var errs []string
	for i := range 2 {
		ack := mllpSend(t, addr, oru)
		if got, want := msa(ack), "AE E2E-R1"; got != want {
			t.Fatalf("send %d: MSA = %q, want %q", i+1, got, want)
		}
		errs = append(errs, errSegment(t, ack.Raw()))
	}
	if !strings.Contains(errs[0], string(docbridge.INSInvalid)) || errs[1] != errs[0] {
		t.Errorf("ERR segments %q; want ins-invalid, the same both times", errs)
	}
	// The lab fixes the INS and sends the report again under the same ids:
	// it corrects the refused version and is delivered.
	if got, want := msa(mllpSend(t, addr, oruAround(t, "E2E-R2", "1.2.250.1.999.42.1.6001"))), "AA E2E-R2"; got != want {
		t.Fatalf("corrected resend: MSA = %q, want %q", got, want)
	}

	sidecar := bytes.ReplaceAll(readRepoFile(t, "convert", "pdf", "testdata", "cr-bio.json"), []byte(pairedINS), []byte(badKeyINS))
	pdf := readRepoFile(t, "convert", "pdf", "testdata", "cr-bio.pdf")
	var answers []string
	for i := range 2 {
		var form bytes.Buffer
		mw := multipart.NewWriter(&form)
		w, _ := mw.CreateFormField("sidecar")
		w.Write(sidecar)
		w, _ = mw.CreateFormFile("file", "cr-bio.pdf")
		w.Write(pdf)
		mw.Close()
		resp, oo := fhirPost(t, base+"/pdf", mw.FormDataContentType(), &form)
		if resp.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("POST /pdf %d = %d %+v, want 422", i+1, resp.StatusCode, oo)
		}
		b, _ := json.Marshal(oo)
		answers = append(answers, string(b))
	}
	if answers[1] != answers[0] || !strings.Contains(answers[0], string(docbridge.INSInvalid)) {
		t.Errorf("OperationOutcomes %q; want ins-invalid, the same both times", answers)
	}

	cda, err := fs.ReadFile(samples.FS, "refused-bad-ins-key.xml")
	if err != nil {
		t.Fatal(err)
	}
	drop := filepath.Join(e.dir, "drop")
	for i := range 2 {
		tmp := filepath.Join(drop, ".bad.xml.part")
		os.WriteFile(tmp, cda, 0o600)
		os.Rename(tmp, filepath.Join(drop, "bad.xml"))
		e.waitFor(fmt.Sprintf("drop %d in failed/", i+1), time.Minute, func() bool {
			reasons, _ := filepath.Glob(filepath.Join(drop, "failed", "*.reason.json"))
			return len(reasons) == i+1
		})
	}
	reasons, _ := filepath.Glob(filepath.Join(drop, "failed", "*.reason.json"))
	for _, r := range reasons {
		var rf watch.ReasonFile
		b, _ := os.ReadFile(r)
		if err := json.Unmarshal(b, &rf); err != nil || rf.Code != docbridge.INSInvalid {
			t.Errorf("%s: code %q (%v), want ins-invalid", filepath.Base(r), rf.Code, err)
		}
	}
	if done, _ := os.ReadDir(filepath.Join(drop, "done")); len(done) != 0 {
		t.Errorf("done/ holds %d files, want none", len(done))
	}
	e.waitFor("the corrected report delivered", time.Minute, func() bool {
		_, ok := simDoc(e, "urn:oid:1.2.250.1.999.42.1.6001")
		return ok
	})
	stopDaemon(t, cmd)
	if got := e.sim.Documents(); len(got) != 1 {
		t.Errorf("the simulator holds %d documents, want the corrected report only", len(got))
	}
	docs := docsOf(t, e, "urn:oid:1.2.250.1.999.42.1.6001")
	if len(docs) != 2 || docs[0].State != docbridge.Superseded || docs[1].State != docbridge.Delivered {
		t.Errorf("versions of the report: %d; want the refused one superseded by the delivered one", len(docs))
	}
}

// TestEndToEndDeleteSameBytes: an MDM^T04 whose CDA has exactly the bytes
// of the delivered document is a deletion of its own, carried out at MES.
func TestEndToEndDeleteSameBytes(t *testing.T) {
	e, addr, _, cmd := resendE2E(t, "")
	const root = "1.2.250.1.999.42.1.6101"
	if got, want := msa(mllpSend(t, addr, oruAround(t, "E2E-D1", root))), "AA E2E-D1"; got != want {
		t.Fatalf("ORU: MSA = %q, want %q", got, want)
	}
	e.waitFor("the report delivered", time.Minute, func() bool { return e.delivered() == 1 })
	if ack := mllpSend(t, addr, mdmDelete(t, "E2E-D2", root)); msa(ack) != "AA E2E-D2" {
		t.Fatalf("MDM^T04: %q, want AA", ack.Raw())
	}
	e.waitFor("the report deleted at MES", time.Minute, func() bool {
		d, ok := simDoc(e, "urn:oid:"+root)
		return ok && d.Status == "deleted"
	})
	stopDaemon(t, cmd)
	docs := docsOf(t, e, "urn:oid:"+root)
	if len(docs) != 2 || docs[1].Doc.Action != docbridge.Delete {
		t.Fatalf("stored versions: %d, want the report and its deletion", len(docs))
	}
	if got := docs[1].State; got != docbridge.Deleted && got != docbridge.Delivered {
		t.Errorf("the deletion is %s, want carried out", got)
	}
}

// TestEndToEndResendConflict: the same document ids with another patient
// (another INS and name), or with the INS corrected after the first version
// was held for a pairing, are not merged into the stored version: each
// stops in review (version-conflict) naming the other document and the
// fields that differ, and MES receives nothing for it.
func TestEndToEndResendConflict(t *testing.T) {
	e, addr, _, cmd := resendE2E(t, "")
	const delivered, held = "1.2.250.1.999.42.1.6201", "1.2.250.1.999.42.1.6202"

	send := func(msg []byte, id string) {
		t.Helper()
		if got, want := msa(mllpSend(t, addr, msg)), "AA "+id; got != want {
			t.Fatalf("%s: MSA = %q, want %q", id, got, want)
		}
	}
	send(oruAround(t, "E2E-C1", delivered), "E2E-C1")
	e.waitFor("the report delivered", time.Minute, func() bool { return e.delivered() == 1 })
	// Another patient under the same ids.
	send(withName(oruFor(t, "E2E-C2", delivered, otherINS, "AUTRE-PATIENT"), "AUTRE-PATIENT"), "E2E-C2")
	// A report for a patient nobody paired (held), then resent with the
	// INS corrected to the paired patient's.
	send(oruFor(t, "E2E-C3", held, otherINS, ""), "E2E-C3")
	send(oruAround(t, "E2E-C4", held), "E2E-C4")

	for _, tc := range []struct {
		root, first string
		fields      []string
		// named is the state the second version's message gives the
		// first: the state it had when the second was recorded (the
		// held one may not have been matched yet).
		named []string
	}{
		{delivered, "delivered", []string{"content", "patient.birthName", "patient.ins"}, []string{"delivered"}},
		{held, "held", []string{"content", "patient.ins"}, []string{"held", "converted"}},
	} {
		var docs []store.DocRow
		// The first version may still be on its way to its state (held:
		// matched) when the second is recorded beside it (the journal
		// records a burst of messages in one transaction).
		e.waitFor("the second version of "+tc.root, time.Minute, func() bool {
			docs = docsOf(t, e, "urn:oid:"+tc.root)
			return len(docs) == 2 && docs[1].State == docbridge.Review && docs[0].State == docbridge.State(tc.first)
		})
		if docs[0].State != docbridge.State(tc.first) {
			t.Errorf("%s: the first version is %s, want %s", tc.root, docs[0].State, tc.first)
		}
		if got := docs[1].Reason; got != docbridge.VersionConflict {
			t.Errorf("%s: the second version's reason = %q, want version-conflict", tc.root, got)
		}
		msg := docs[1].Message
		if !slices.ContainsFunc(tc.named, func(st string) bool { return strings.Contains(msg, fmt.Sprintf("document %d (%s)", docs[0].ID, st)) }) ||
			!strings.Contains(msg, "differs in "+strings.Join(tc.fields, ", ")+";") {
			t.Errorf("%s: message %q; want document %d and the fields %v", tc.root, msg, docs[0].ID, tc.fields)
		}
		if strings.Contains(msg, otherINS) || strings.Contains(msg, "AUTRE") {
			t.Errorf("%s: message %q quotes patient data", tc.root, msg)
		}
		// queue review shows both versions side by side.
		var out bytes.Buffer
		if err := run(context.Background(), []string{"queue", "review", "--id", fmt.Sprint(docs[1].ID), "-c", e.cfg}, &out, &out); err != nil {
			t.Fatalf("queue review: %v\n%s", err, out.String())
		}
		if !strings.Contains(out.String(), fmt.Sprintf("other version: document %d (%s", docs[0].ID, tc.first)) ||
			!regexp.MustCompile(`patient\.ins +"`+otherINS+`|patient\.ins +"`+pairedINS).MatchString(out.String()) {
			t.Errorf("%s: queue review does not show the versions side by side:\n%s", tc.root, out.String())
		}
	}
	stopDaemon(t, cmd) // the versions in review were recorded so: nothing of them can be sent
	got := e.sim.Documents()
	if len(got) != 1 || got[0].UniqueID != "urn:oid:"+delivered || got[0].Status != "current" || slices.Contains(got[0].History, "replace") {
		t.Errorf("the simulator holds %+v; want the first report only, as sent", got)
	}
	log, _ := os.ReadFile(filepath.Join(e.dir, "daemon.log"))
	assertNoPatientData(t, string(log))
}

// TestEndToEndCorrectedSidecar: a PDF dropped with a sidecar that cannot
// be read is refused; dropped again, the same bytes, with a corrected
// sidecar, it is a new input and is delivered. A PDF whose sidecar lacks
// the facility type stops in review; dropped again with it, the new
// version corrects the one in review and is delivered.
func TestEndToEndCorrectedSidecar(t *testing.T) {
	e, _, _, cmd := resendE2E(t, "")
	drop := filepath.Join(e.dir, "drop")
	pdf, err := fs.ReadFile(samples.FS, "cr-bio-sidecar.pdf")
	if err != nil {
		t.Fatal(err)
	}
	good, err := fs.ReadFile(samples.FS, "cr-bio-sidecar.json")
	if err != nil {
		t.Fatal(err)
	}
	dropPair := func(stem string, sidecar []byte) {
		t.Helper()
		for _, f := range []struct {
			name string
			b    []byte
		}{{stem + ".json", sidecar}, {stem + ".pdf", pdf}} {
			tmp := filepath.Join(drop, "."+f.name+".part")
			os.WriteFile(tmp, f.b, 0o600)
			if err := os.Rename(tmp, filepath.Join(drop, f.name)); err != nil {
				t.Fatal(err)
			}
		}
	}
	const uid = "urn:oid:1.2.250.1.999.42.1.1101"
	dropPair("broken", good[:len(good)/2])
	e.waitFor("the broken sidecar refused", time.Minute, func() bool {
		_, err := os.Stat(filepath.Join(drop, "failed", "broken.pdf.reason.json"))
		return err == nil
	})
	dropPair("fixed", good)
	e.waitFor("the PDF delivered with its corrected sidecar", time.Minute, func() bool {
		_, ok := simDoc(e, uid)
		return ok
	})

	// Another report, first without its facility type.
	other := bytes.ReplaceAll(good, []byte("42.1.1101"), []byte("42.1.1102"))
	noFacility := regexp.MustCompile(`(?m)^\s*"facilityType".*\n`).ReplaceAll(other, nil)
	dropPair("partial", noFacility)
	const uid2 = "urn:oid:1.2.250.1.999.42.1.1102"
	e.waitFor("the report without facility type in review", time.Minute, func() bool {
		docs := docsOf(t, e, uid2)
		return len(docs) == 1 && docs[0].State == docbridge.Review
	})
	dropPair("complete", other)
	e.waitFor("the completed report delivered", time.Minute, func() bool {
		_, ok := simDoc(e, uid2)
		return ok
	})
	stopDaemon(t, cmd)
	docs := docsOf(t, e, uid2)
	if len(docs) != 2 || docs[0].State != docbridge.Superseded || !strings.HasPrefix(docs[0].Message, fmt.Sprintf("corrected by document %d of input", docs[1].ID)) {
		t.Errorf("versions of the report: %+v; want the one in review superseded by the completed one", docs)
	}
	if n := e.sim.Count(); n != 2 {
		t.Errorf("the simulator holds %d documents, want 2", n)
	}
}

// TestEndToEndQueueReconvert: a CDA whose document type has no national
// mapping stops in review (unmapped-code); `queue reconvert` with the same
// mappings says nothing changed (exit 1); once the operator maps the code,
// `queue reconvert` converts it again and the daemon delivers it with the
// mapped type, the stopped version superseded.
func TestEndToEndQueueReconvert(t *testing.T) {
	e, _, _, cmd := resendE2E(t, "mappings: {override_dir: maps}\n", "maps")
	cda, err := fs.ReadFile(samples.FS, "refused-unknown-type.xml")
	if err != nil {
		t.Fatal(err)
	}
	uid := "urn:oid:" + regexp.MustCompile(`<id root="([0-9.]+)"`).FindStringSubmatch(string(cda))[1]
	drop := filepath.Join(e.dir, "drop")
	os.WriteFile(filepath.Join(drop, ".note.xml.part"), cda, 0o600)
	os.Rename(filepath.Join(drop, ".note.xml.part"), filepath.Join(drop, "note.xml"))
	e.waitFor("the note in review", time.Minute, func() bool {
		docs := docsOf(t, e, uid)
		return len(docs) == 1 && docs[0].State == docbridge.Review && docs[0].Reason == docbridge.UnmappedCode
	})

	reconvert := func() (string, error) {
		var out bytes.Buffer
		err := run(context.Background(), []string{"queue", "reconvert", "-c", e.cfg, "--reason", "unmapped-code"}, &out, &out)
		return out.String(), err
	}
	out, err := reconvert()
	if exitCode(err) != 1 || !strings.Contains(out, "1 input(s) to convert again (1 document(s): 1 review/unmapped-code)") ||
		!strings.Contains(out, "the same outcome") {
		t.Fatalf("queue reconvert before the mapping: exit %d (%v)\n%s", exitCode(err), err, out)
	}

	local := "- valueSet: JDV_J07\n  from: {system: \"2.16.840.1.113883.6.1\", code: \"34109-9\"}\n  to:   {system: \"2.16.840.1.113883.6.1\", code: \"11502-2\"}\n"
	if err := os.WriteFile(filepath.Join(e.dir, "maps", "local-codes.yaml"), []byte(local), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := reconvert(); err != nil || !strings.Contains(out, "converted again: document") {
		t.Fatalf("queue reconvert after the mapping: %v\n%s", err, out)
	}
	e.waitFor("the note delivered", time.Minute, func() bool {
		d, ok := simDoc(e, uid)
		return ok && d.TypeCode == "11502-2"
	})
	stopDaemon(t, cmd)
	docs := docsOf(t, e, uid)
	if len(docs) != 2 || docs[0].State != docbridge.Superseded || docs[0].Message != fmt.Sprintf("converted again as document %d", docs[1].ID) ||
		docs[1].State != docbridge.Delivered {
		t.Errorf("versions: %+v; want the stopped one superseded by the delivered one", docs)
	}
	if out, err := reconvert(); err != nil || !strings.Contains(out, "0 input(s) to convert again") {
		t.Errorf("queue reconvert with nothing stopped: %v\n%s", err, out)
	}
}
