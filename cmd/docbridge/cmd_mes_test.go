package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseConfigMESProfile(t *testing.T) {
	tests := []struct {
		name    string
		mes     string
		wantErr []string
	}{
		{"default", "{base_url: http://x}", nil},
		{"pdsm-iti65 with a source id", "{profile: pdsm-iti65, base_url: http://x, source_id: 1.2.250.1.999.42.77}", nil},
		{"source id as a URN", "{profile: pdsm-iti65, base_url: http://x, source_id: 'urn:oid:1.2.250.1.999.42.77'}", nil},
		{"pdsm-iti65 without a source id", "{profile: pdsm-iti65, base_url: http://x}", []string{"mes.source_id: required by the pdsm-iti65 profile"}},
		{"source id not an OID", "{base_url: http://x, source_id: lab-1}", []string{"mes.source_id", `"lab-1" is not an OID`}},
		{"unknown profile", "{profile: xds, base_url: http://x}", []string{"mes.profile", "mes-api or pdsm-iti65"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseConfig([]byte("data: /d\nmes: " + tt.mes + "\n"))
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("parseConfig: %v", err)
				}
				return
			}
			for _, w := range tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("err = %v, want it to contain %q", err, w)
				}
			}
		})
	}
}

// TestInspectWirePDSm prints the sample replacement as the ITI-65 bundle:
// SubmissionSet, the patch superseding the replaced version,
// DocumentReference, Binary; with -c, the configuration's source id.
func TestInspectWirePDSm(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "docbridge.yaml")
	os.WriteFile(cfg, []byte("environment: test\ndata: data\nmes: {profile: pdsm-iti65, base_url: http://x, source_id: 1.2.250.1.999.42.77}\n"), 0o600)
	for _, tt := range []struct {
		args     []string
		sourceID string
	}{
		{nil, "urn:oid:2.25.0"},
		{[]string{"-c", cfg}, "urn:oid:1.2.250.1.999.42.77"},
	} {
		var out, errb bytes.Buffer
		args := append(append([]string{"inspect", "--wire", "pdsm-iti65"}, tt.args...), "../../samples/cr-bio-replace.xml")
		if err := run(context.Background(), args, &out, &errb); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, errb.String())
		}
		var b struct {
			Type  string
			Entry []struct {
				Resource struct {
					ResourceType string
					Extension    []struct {
						URL             string
						ValueIdentifier struct{ Value string }
					}
				}
				Request struct{ Method, URL string }
			}
		}
		if err := json.Unmarshal(out.Bytes(), &b); err != nil {
			t.Fatalf("%v: not one JSON bundle: %v", args, err)
		}
		var got []string
		for _, e := range b.Entry {
			got = append(got, e.Resource.ResourceType+" "+e.Request.Method)
		}
		if want := "List POST,Parameters PATCH,DocumentReference POST,Binary POST"; b.Type != "transaction" || strings.Join(got, ",") != want {
			t.Errorf("%v: %s bundle of %v, want a transaction of %s", args, b.Type, got, want)
		}
		if src := b.Entry[0].Resource.Extension[1].ValueIdentifier.Value; src != tt.sourceID {
			t.Errorf("%v: sourceId %q, want %q", args, src, tt.sourceID)
		}
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"inspect", "--wire", "xds", "../../samples/cr-bio-replace.xml"}, &out, &out); exitCode(err) != 2 {
		t.Errorf("--wire xds: exit %d, want 2", exitCode(err))
	}
}
