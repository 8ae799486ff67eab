package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/audit"
	"github.com/docbridge/docbridge/internal/fhirschematest"
	"github.com/docbridge/docbridge/internal/store"
)

// checkAudit checks the audit trail the daemon left: the chain verifies
// with `audit verify`, every recorded transition has its audit record, each
// delivered document's timeline holds received, converted, matched and
// delivered records and its MES exchange, and `audit export --format fhir`
// gives FHIR R4 AuditEvents.
func (e *e2e) checkAudit(ids map[string]bool) {
	e.t.Helper()
	t := e.t
	ctx := context.Background()
	data := filepath.Join(e.dir, "data")
	var out bytes.Buffer
	if err := run(ctx, []string{"audit", "verify", "--data", data}, &out, &out); err != nil {
		t.Fatalf("audit verify: %v\n%s", err, out.String())
	}
	if !regexp.MustCompile(`^\d+ records, chain intact`).MatchString(out.String()) {
		t.Errorf("audit verify said %q", out.String())
	}

	st, err := store.Open(ctx, store.Options{Dir: data})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rows, err := st.Documents(ctx, store.Filter{State: docbridge.Delivered})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(ids) {
		t.Errorf("%d delivered documents, want %d", len(rows), len(ids))
	}
	for _, d := range rows {
		tl, err := st.AuditTimeline(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[docbridge.State]bool{}
		var exchange *audit.Exchange
		var moves []string
		for _, r := range tl {
			seen[r.To] = true
			switch r.Kind {
			case audit.MESExchange:
				if r.Reason == "" {
					exchange = r.Exchange
				}
			case audit.DocumentCreated, audit.DocumentTransition:
				moves = append(moves, string(r.From)+">"+string(r.To))
			}
			if r.Kind != audit.InputAccepted && r.Kind != audit.InputConverted && r.DocID != d.ID {
				t.Errorf("document %d: timeline holds record %d of document %d", d.ID, r.Seq, r.DocID)
			}
		}
		for _, s := range []docbridge.State{docbridge.Received, docbridge.Converted, docbridge.Matched, docbridge.Delivered} {
			if !seen[s] {
				t.Errorf("document %d: no audit record to %s in its timeline", d.ID, s)
			}
		}
		if exchange == nil || exchange.Status/100 != 2 || exchange.RequestID == "" || exchange.MESID != d.MESID {
			t.Errorf("document %d: MES exchange %+v, want a 2xx with a request id and MES id %q", d.ID, exchange, d.MESID)
		}
		// Every transition in the operational history has its audit record.
		h, err := st.History(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, ev := range h {
			want = append(want, string(ev.From)+">"+string(ev.To))
		}
		if strings.Join(moves, " ") != strings.Join(want, " ") {
			t.Errorf("document %d: audited transitions %v, history %v", d.ID, moves, want)
		}
	}

	out.Reset()
	if err := run(ctx, []string{"audit", "show", "--doc", "1", "--data", data}, &out, &out); err != nil {
		t.Errorf("audit show: %v", err)
	}
	for _, want := range []string{"input.accepted", "document.created", "mes.exchange", "converted → matched", "matched → delivered"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("audit show --doc 1 lacks %q:\n%s", want, out.String())
		}
	}
	assertNoPatientData(t, out.String())

	out.Reset()
	if err := run(ctx, []string{"audit", "export", "--format", "fhir", "--instance", "e2e", "--data", data}, &out, os.Stderr); err != nil {
		t.Fatalf("audit export: %v", err)
	}
	assertNoPatientData(t, out.String())
	if got := validateAuditEvents(t, out.Bytes()); got < 5 {
		t.Errorf("the export holds %d kinds and outcomes of AuditEvents, want the whole trail (at least 5)", got)
	}
}

// validateAuditEvents checks NDJSON AuditEvents against the official FHIR
// R4 JSON schema: one of each kind and outcome (the schema is large; the
// mapping is per kind). It returns how many kinds and outcomes it saw.
func validateAuditEvents(t *testing.T, ndjson []byte) int {
	t.Helper()
	sch, err := fhirschematest.Load("AuditEvent")
	if err != nil {
		t.Fatal(err)
	}
	done := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(ndjson))
	sc.Buffer(nil, 1<<20)
	n := 0
	for sc.Scan() {
		n++
		var peek struct {
			Subtype []struct{ Code string }
			Outcome string
		}
		if err := json.Unmarshal(sc.Bytes(), &peek); err != nil || len(peek.Subtype) == 0 {
			t.Fatalf("line %d is not an AuditEvent: %v", n, err)
		}
		key := peek.Subtype[0].Code + "/" + peek.Outcome
		if done[key] {
			continue
		}
		done[key] = true
		if err := sch.Validate(sc.Bytes()); err != nil {
			t.Errorf("AuditEvent on line %d: %v", n, err)
		}
	}
	if n == 0 {
		t.Error("the export holds no AuditEvent")
	}
	return len(done)
}
