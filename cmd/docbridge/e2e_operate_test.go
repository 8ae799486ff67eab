package main

import (
	"bytes"
	"context"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docbridge/docbridge"
)

// TestEndToEndQueueReconvertAppliesProfiles: a PDF whose sidecar lacks
// the facility type stops in review (missing-metadata); once the operator
// configures a source profile for the drop folder, `queue reconvert -c`
// converts it again with that profile — the pipeline it builds is the
// daemon's, source profiles included — and the daemon delivers it.
func TestEndToEndQueueReconvertAppliesProfiles(t *testing.T) {
	e, _, _, cmd := resendE2E(t, "")
	const uid = "urn:oid:1.2.250.1.999.42.1.1201"
	e.dropSample("cr-bio-sidecar.json", func(b []byte) []byte { // another report, without its facility type
		b = bytes.ReplaceAll(b, []byte("42.1.1101"), []byte("42.1.1201"))
		return regexp.MustCompile(`(?m)^\s*"facilityType".*\n`).ReplaceAll(b, nil)
	})
	e.dropSample("cr-bio-sidecar.pdf", func(b []byte) []byte { return b }) // named as its edited sidecar
	e.waitFor("the report without facility type in review", time.Minute, func() bool {
		docs := docsOf(t, e, uid)
		return len(docs) == 1 && docs[0].State == docbridge.Review && docs[0].Reason == docbridge.MissingMetadata
	})

	appendConfig(t, e.cfg, "profiles:\n  - {name: drop-lab, when: {intake: drop}, facility_type: SA25}\n")
	var out bytes.Buffer
	err := run(context.Background(), []string{"queue", "reconvert", "-c", e.cfg, "--reason", "missing-metadata"}, &out, &out)
	if err != nil || !strings.Contains(out.String(), "converted again: document") {
		t.Fatalf("queue reconvert with the profile: exit %d (%v)\n%s", exitCode(err), err, out.String())
	}
	e.waitFor("the report delivered", time.Minute, func() bool {
		_, ok := simDoc(e, uid)
		return ok
	})
	stopDaemon(t, cmd)
	docs := docsOf(t, e, uid)
	if len(docs) != 2 || docs[0].State != docbridge.Superseded || docs[1].State != docbridge.Delivered ||
		!slices.Contains(slices.Collect(maps.Values(docs[1].Doc.Provenance)), "profile:drop-lab") {
		t.Errorf("versions: %+v; want the stopped one superseded by the delivered one, filled by profile drop-lab", docs)
	}
}
