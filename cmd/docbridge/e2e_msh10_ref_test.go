package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/mes/messim"
)

// TestEndToEndMSH10NeverLoggedOrAudited: a sender puts patient data in
// MSH-10. The ACK's MSA-2 echoes it (HL7 requires it; it goes back to the
// sender who chose it), but the daemon's log and the audit trail carry only
// its docbridge.Ref (msh10_ref, "message id ref"), for an accepted message
// and a refused one alike.
func TestEndToEndMSH10NeverLoggedOrAudited(t *testing.T) {
	addr := freePort(t)
	e := newE2EServer(t, messim.Options{}, nil, fmt.Sprintf("mllp:\n  - {name: lis, addr: %q, idle_timeout: 1m}\n", addr))
	cmd := e.start()
	e.waitListening(addr)
	good, bad := patientName, "AE_"+patientName
	if got, want := msa(mllpSend(t, addr, oruAround(t, good, "1.2.250.1.999.42.1.7001"))), "AA "+good; got != want {
		t.Errorf("MSA = %q, want %q", got, want)
	}
	// A placeholder instead of the CDA: refused at once, AE.
	refused := regexp.MustCompile(`\^Base64\^[^|]*`).ReplaceAll(oruAround(t, bad, "1.2.250.1.999.42.1.7002"),
		[]byte("^Base64^"+base64.StdEncoding.EncodeToString([]byte("Document au format CDA"))))
	if got := msa(mllpSend(t, addr, refused)); got != "AE "+bad {
		t.Errorf("MSA = %q, want AE %s", got, bad)
	}
	e.waitFor("the delivery", time.Minute, func() bool { return e.delivered() == 1 })
	stopDaemon(t, cmd)

	log, _ := os.ReadFile(filepath.Join(e.dir, "daemon.log"))
	for _, id := range []string{good, bad} {
		if !strings.Contains(string(log), `"msh10_ref":"`+docbridge.Ref(id)+`"`) {
			t.Errorf("the log does not name the message %.6s… by its msh10_ref", id)
		}
	}
	assertNoPatientData(t, string(log))

	st, err := e.openStore()
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	refs := 0
	for r, err := range st.AuditRecords(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(r)
		if strings.Contains(string(b), "CAMILLE") {
			t.Errorf("audit record %d holds the message's MSH-10: %s", r.Seq, r.Message)
		}
		if strings.Contains(r.Message, "message id ref "+docbridge.Ref(good)) || strings.Contains(r.Message, "message id ref "+docbridge.Ref(bad)) {
			refs++
		}
	}
	if refs != 2 {
		t.Errorf("%d input.accepted records name the message ids by ref, want 2", refs)
	}
}
