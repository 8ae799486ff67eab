package hl7v2

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/mappings"
)

// TestBarePDFType: a bare PDF's type is the first of OBX-3, TXA-2 and
// OBR-4 that JDV_J07 gives, local codes of local-codes.yaml included (their
// system as CE.3 writes it); when none maps, the first one given is
// unmapped-code; when none is given, it is left to the source profile.
func TestBarePDFType(t *testing.T) {
	dir := t.TempDir()
	local := "- valueSet: JDV_J07\n  from: {system: L, code: CRBIO}\n  to: {system: 2.16.840.1.113883.6.1, code: 11502-2}\n"
	if err := os.WriteFile(filepath.Join(dir, mappings.LocalCodesFile), []byte(local), 0o600); err != nil {
		t.Fatal(err)
	}
	m, err := mappings.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	pdf := base64.StdEncoding.EncodeToString([]byte("%PDF-1.4\n%%EOF\n"))
	msg := func(obx3, txa2, obr4 string) []byte {
		segs := []string{
			"MSH|^~\\&|LIS|LAB|DB|MES|20250114093500||MDM^T02^MDM_T02|C1|P|2.6|||||FRA|UNICODE UTF-8",
			"PID|1||285047505612322^^^ASIP-SANTE-INS-NIR&1.2.250.1.213.1.4.10&ISO^INS||DOCBRIDGE-TEST^CAMILLE^CAMILLE MARIE-ANNE^^^^L||19850417|F|||~^^^^^^BDL^^75056",
			"OBR|1||F-1^LAB|" + obr4,
			"TXA|1|" + txa2 + "|TEXT|20250114093000+0100||||||||9001^^1.2.250.1.999.42.1^ISO",
			"OBX|1|ED|" + obx3 + "||^application^pdf^Base64^" + pdf + "||||||F",
		}
		return []byte(strings.Join(segs, "\r") + "\r")
	}
	tests := []struct {
		name             string
		obx3, txa2, obr4 string
		want             string // type code; "" for none
		wantReason       docbridge.Reason
	}{
		{"national OBX-3", "11502-2^CR^LN", "", "", "11502-2", ""},
		{"local OBX-3", "CRBIO^Compte rendu de biologie^L", "", "", "11502-2", ""},
		{"local TXA-2 after an unknown OBX-3", "XYZ^Divers^L", "CRBIO^CR^L", "", "11502-2", ""},
		{"OBR-4 after unknown OBX-3 and TXA-2", "XYZ^Divers^L", "ABC^^L", "11502-2^CR^LN", "11502-2", ""},
		{"none maps", "XYZ^Divers^L", "ABC^^L", "", "XYZ", docbridge.UnmappedCode},
		{"none given", "", "", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			docs, err := Convert(msg(tt.obx3, tt.txa2, tt.obr4), Options{Mappings: m, Location: time.UTC})
			if err != nil {
				t.Fatal(err)
			}
			d := docs[0]
			if got := d.Type.Code; got != tt.want {
				t.Errorf("type = %q, want %q", got, tt.want)
			}
			var reason docbridge.Reason
			if p := d.FirstError(); p != nil {
				reason = p.Code
			}
			if reason != tt.wantReason {
				t.Errorf("first error = %q (%+v), want %q", reason, d.Problems, tt.wantReason)
			}
			if tt.want == "11502-2" && d.Class.Code != "10" {
				t.Errorf("class = %q, want 10", d.Class.Code)
			}
		})
	}
}

// TestBarePDFORUCorrection: a corrected ORU^R01 carrying a bare PDF names
// no replaced version; it stops for review with a sentence saying how to
// send it, rather than being sent as a second live version.
func TestBarePDFORUCorrection(t *testing.T) {
	pdf := base64.StdEncoding.EncodeToString([]byte("%PDF-1.4\n%%EOF\n"))
	raw := []byte(strings.Join([]string{
		"MSH|^~\\&|LIS|LAB|DB|MES|20250114093500||ORU^R01^ORU_R01|C1|P|2.5|||||FRA|UNICODE UTF-8",
		"PID|1||285047505612322^^^ASIP-SANTE-INS-NIR&1.2.250.1.213.1.4.10&ISO^INS||DOCBRIDGE-TEST^CAMILLE^CAMILLE MARIE-ANNE^^^^L||19850417|F|||~^^^^^^BDL^^75056",
		"ORC|RO",
		"OBR|1||9001^^1.2.250.1.999.42.1^ISO|11502-2^CR^LN|||20250114093000",
		"OBX|1|ED|11502-2^CR d'examens biologiques^LN||^application^pdf^Base64^" + pdf + "||||||C",
	}, "\r") + "\r")
	docs, err := Convert(raw, testOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	d := docs[0]
	if d.Action != docbridge.Replace {
		t.Errorf("action = %s, want replace", d.Action)
	}
	if p := d.FirstError(); p == nil || p.Code != docbridge.MissingMetadata || !strings.Contains(p.Message, "MDM^T10") {
		t.Errorf("first error = %+v, want missing-metadata saying to send MDM^T10", p)
	}
}

// TestBarePDFAuthenticator: TXA-22 is the legal authenticator, and the
// author when TXA-9, TXA-5 and OBR-32 name none.
func TestBarePDFAuthenticator(t *testing.T) {
	pdf := base64.StdEncoding.EncodeToString([]byte("%PDF-1.4\n%%EOF\n"))
	msg := func(txa9 string) []byte {
		return []byte(strings.Join([]string{
			"MSH|^~\\&|LIS|LAB|DB|MES|20250114093500||MDM^T02^MDM_T02|C1|P|2.6|||||FRA|UNICODE UTF-8",
			"PID|1||285047505612322^^^ASIP-SANTE-INS-NIR&1.2.250.1.213.1.4.10&ISO^INS||DOCBRIDGE-TEST^CAMILLE^CAMILLE MARIE-ANNE^^^^L||19850417|F|||~^^^^^^BDL^^75056",
			"TXA|1|11502-2^CR^LN|TEXT|20250114093000+0100|||||" + txa9 + "|||9001^^1.2.250.1.999.42.1^ISO|||||AU|||||" +
				"899700000022^SIGNATAIRE^Paul^^^^^^ASIP-SANTE-PS&1.2.250.1.71.4.2.1&ISO",
			"OBX|1|ED|11502-2^CR^LN||^application^pdf^Base64^" + pdf + "||||||F",
		}, "\r") + "\r")
	}
	for _, tt := range []struct {
		name, txa9, wantAuthor string
	}{
		{"TXA-9 and TXA-22", "899700000011^EXEMPLE^Claire^^^^^^ASIP-SANTE-PS&1.2.250.1.71.4.2.1&ISO", "899700000011"},
		{"TXA-22 alone", "", "899700000022"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			docs, err := Convert(msg(tt.txa9), testOptions(t))
			if err != nil {
				t.Fatal(err)
			}
			d := docs[0]
			if d.LegalAuthenticator == nil || d.LegalAuthenticator.ID != "899700000022" || d.LegalAuthenticator.System != "urn:oid:1.2.250.1.71.4.2.1" {
				t.Errorf("legal authenticator = %+v, want 899700000022 (RPPS)", d.LegalAuthenticator)
			}
			if len(d.Authors) != 1 || d.Authors[0].ID != tt.wantAuthor {
				t.Errorf("authors = %+v, want %s", d.Authors, tt.wantAuthor)
			}
		})
	}
}
