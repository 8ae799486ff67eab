package main

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/mes"
	"github.com/docbridge/docbridge/mes/messim"
	"github.com/docbridge/docbridge/watch/fhirhttp"
)

const fhirToken = "e2e-fhir-token"

// fhirE2E starts a daemon with a FHIR intake; it returns the test's e2e,
// the intake's base URL and the daemon's process.
func fhirE2E(t *testing.T, profile string) (*e2e, string, *exec.Cmd) {
	t.Helper()
	addr := freePort(t)
	e := newE2EServer(t, messim.Options{}, nil, "fhir: {addr: "+addr+", tokens_file: tokens}\n")
	if profile == mes.ProfilePDSm {
		e.usePDSm()
	}
	if err := os.WriteFile(filepath.Join(e.dir, "tokens"), []byte("# the e2e sender\n"+fhirToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := e.start()
	t.Cleanup(func() { stopDaemon(t, cmd) })
	e.waitFor("the FHIR intake", 30*time.Second, func() bool {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	return e, "http://" + addr, cmd
}

// fhirPost posts body and decodes the OperationOutcome answered.
func fhirPost(t *testing.T, url, contentType string, body io.Reader) (*http.Response, fhirhttp.OperationOutcome) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, body)
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Authorization", "Bearer "+fhirToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var oo fhirhttp.OperationOutcome
	if err := json.NewDecoder(resp.Body).Decode(&oo); err != nil || oo.ResourceType != "OperationOutcome" || len(oo.Issue) == 0 {
		t.Fatalf("POST %s: %d without an OperationOutcome: %v", url, resp.StatusCode, err)
	}
	return resp, oo
}

// inputStatus reads GET <base><location>.
func inputStatus(t *testing.T, base, location string) fhirhttp.InputStatus {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+location, nil)
	req.Header.Set("Authorization", "Bearer "+fhirToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st fhirhttp.InputStatus
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d, %v", location, resp.StatusCode, err)
	}
	return st
}

func readRepoFile(t *testing.T, elem ...string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(append([]string{"..", ".."}, elem...)...))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestEndToEndFHIRIntake posts an ITI-105 DocumentReference and a PDF with
// its sidecar to the FHIR intake, drops the PDF's corrected version with
// its sidecar in the drop folder, and follows each to MES.
// TestEndToEndFHIRIntake posts an ITI-105 DocumentReference and a PDF with
// its sidecar, and drops a replacement PDF with a YAML sidecar; each
// reaches MES, through either profile.
func TestEndToEndFHIRIntake(t *testing.T) {
	for _, profile := range []string{mes.ProfileMESAPI, mes.ProfilePDSm} {
		t.Run(profile, func(t *testing.T) { testFHIRIntake(t, profile) })
	}
}

func testFHIRIntake(t *testing.T, profile string) {
	e, base, _ := fhirE2E(t, profile)

	resp, oo := fhirPost(t, base+"/DocumentReference", "application/fhir+json", bytes.NewReader(readRepoFile(t, "convert", "fhir", "testdata", "iti105-pdf.json")))
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST /DocumentReference = %d: %+v", resp.StatusCode, oo)
	}
	iti105 := resp.Header.Get("Location")

	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	w, _ := mw.CreateFormField("sidecar")
	w.Write(readRepoFile(t, "convert", "pdf", "testdata", "cr-bio.json"))
	w, _ = mw.CreateFormFile("file", "cr-bio.pdf")
	w.Write(readRepoFile(t, "convert", "pdf", "testdata", "cr-bio.pdf"))
	mw.Close()
	resp, oo = fhirPost(t, base+"/pdf", mw.FormDataContentType(), &form)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST /pdf = %d: %+v", resp.StatusCode, oo)
	}
	pdf := resp.Header.Get("Location")

	delivered := func(loc string) func() bool {
		return func() bool {
			st := inputStatus(t, base, loc)
			return len(st.Documents) == 1 && st.Documents[0].State == docbridge.Delivered
		}
	}
	e.waitFor("the ITI-105 document delivered", time.Minute, delivered(iti105))
	e.waitFor("the posted PDF delivered", time.Minute, delivered(pdf))

	drop := filepath.Join(e.dir, "drop")
	for _, name := range []string{"cr-bio-v2.yaml", "cr-bio-v2.pdf"} {
		tmp := filepath.Join(drop, "."+name+".part")
		os.WriteFile(tmp, readRepoFile(t, "convert", "pdf", "testdata", name), 0o600)
		if err := os.Rename(tmp, filepath.Join(drop, name)); err != nil {
			t.Fatal(err)
		}
	}
	e.waitFor("the dropped replacement delivered", time.Minute, func() bool {
		for _, d := range e.sim.Documents() {
			if d.UniqueID == "urn:oid:1.2.250.1.999.42.1.502" {
				return true
			}
		}
		return false
	})
	// MES holds the replacement a moment before docbridge records, after
	// its answer, that the replaced version is superseded.
	e.waitFor("the replaced PDF superseded", 10*time.Second, func() bool {
		return inputStatus(t, base, pdf).Documents[0].State == docbridge.Superseded
	})
	for _, n := range []string{"cr-bio-v2.pdf", "cr-bio-v2.yaml"} {
		if _, err := os.Stat(filepath.Join(drop, "done", n)); err != nil {
			t.Errorf("%s is not in done/: %v", n, err)
		}
	}
	log, _ := os.ReadFile(filepath.Join(e.dir, "daemon.log"))
	assertNoPatientData(t, string(log))
}

// TestEndToEndFHIRCorpus posts each FHIR example of the public corpus: each
// gets 202, or a precise refusal (a reason code and a sentence).
func TestEndToEndFHIRCorpus(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "shared", "corpus", "fhir")
	paths, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(paths) == 0 {
		t.Skipf("no FHIR corpus in %s", dir)
	}
	_, base, _ := fhirE2E(t, mes.ProfileMESAPI)
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		path := "/"
		if strings.Contains(string(b[:min(len(b), 200)]), `"DocumentReference"`) {
			path = "/DocumentReference"
		}
		resp, oo := fhirPost(t, base+path, "application/fhir+json", bytes.NewReader(b))
		is := oo.Issue[0]
		switch {
		case resp.StatusCode == http.StatusAccepted:
			t.Logf("%s: 202, %s", filepath.Base(p), is.Diagnostics)
		case resp.StatusCode >= 400 && resp.StatusCode < 500 && is.Details != nil && len(is.Details.Coding) == 1 && is.Diagnostics != "":
			t.Logf("%s: %d %s: %s", filepath.Base(p), resp.StatusCode, is.Details.Coding[0].Code, is.Diagnostics)
		default:
			t.Errorf("%s: %d %+v, want 202 or a refusal with its reason", filepath.Base(p), resp.StatusCode, oo)
		}
	}
}

// TestEndToEndBigPDF drops a 200 MB PDF with its sidecar in the drop
// folder, then posts another to the FHIR intake's /pdf, and checks that
// both reach MES through pdsm-iti65 with the daemon's peak RSS (VmHWM)
// under 64 MB: PDFs are streamed from the intake to MES. It writes 400 MB and takes tens of
// seconds: it runs when DOCBRIDGE_BIG_TESTS is set.
func TestEndToEndBigPDF(t *testing.T) {
	if os.Getenv("DOCBRIDGE_BIG_TESTS") == "" {
		t.Skip("set DOCBRIDGE_BIG_TESTS=1 to send 200 MB PDFs through the daemon")
	}
	const size = 200 << 20
	e, base, cmd := fhirE2E(t, mes.ProfilePDSm)
	drop := filepath.Join(e.dir, "drop")
	os.MkdirAll(drop, 0o750)
	pid := cmd.Process.Pid
	sidecar := readRepoFile(t, "convert", "pdf", "testdata", "cr-bio.json")

	staged := filepath.Join(drop, ".big.pdf.part")
	writeBigPDF(t, staged, size, "dropped")
	os.WriteFile(filepath.Join(drop, "big.json"), sidecar, 0o600)
	idle := vmHWM(t, pid)
	if err := os.Rename(staged, filepath.Join(drop, "big.pdf")); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	e.waitFor("the dropped 200 MB PDF at MES", 5*time.Minute, func() bool { return e.sim.Count() == 1 })
	t.Logf("dropped 200 MB PDF delivered in %v", time.Since(start).Round(time.Millisecond))

	posted := filepath.Join(e.dir, "posted.pdf")
	writeBigPDF(t, posted, size, "posted")
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		w, _ := mw.CreateFormField("sidecar")
		w.Write(bytes.Replace(sidecar, []byte("1.2.250.1.999.42.1.501"), []byte("1.2.250.1.999.42.1.601"), 1))
		w, _ = mw.CreateFormFile("file", "posted.pdf")
		f, err := os.Open(posted)
		if err == nil {
			_, err = io.Copy(w, f)
			f.Close()
		}
		if err == nil {
			err = mw.Close()
		}
		pw.CloseWithError(err)
	}()
	start = time.Now()
	resp, oo := fhirPost(t, base+"/pdf", mw.FormDataContentType(), pr)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST /pdf = %d: %+v", resp.StatusCode, oo)
	}
	e.waitFor("the posted 200 MB PDF at MES", 5*time.Minute, func() bool { return e.sim.Count() == 2 })
	peak := vmHWM(t, pid)
	t.Logf("posted 200 MB PDF delivered in %v; daemon VmHWM %d MiB before the first, %d MiB after both",
		time.Since(start).Round(time.Millisecond), idle>>10, peak>>10)
	if peak > 64<<10 {
		t.Errorf("the daemon's peak RSS is %d MiB, over 64 MiB", peak>>10)
	}
}

// writeBigPDF writes a synthetic PDF of size bytes.
func writeBigPDF(t *testing.T, path string, size int64, tag string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	filler := bytes.Repeat([]byte("0123456789 synthetic PDF body, "+tag+"\n"), 1500)
	f.WriteString("%PDF-1.7\n")
	for n := int64(9); n < size-6; {
		k, err := f.Write(filler[:min(int64(len(filler)), size-6-n)])
		if err != nil {
			t.Fatal(err)
		}
		n += int64(k)
	}
	f.WriteString("%%EOF\n")
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// vmHWM reads a process's peak resident set size, in KiB.
func vmHWM(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb
		}
	}
	t.Fatal("no VmHWM in /proc/<pid>/status")
	return 0
}
