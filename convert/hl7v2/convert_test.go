package hl7v2

import (
	"encoding/base64"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/convert/internal/ident"
	"github.com/docbridge/docbridge/hl7"
)

// cdaSample is the sample level 1 CDA of the paired patient.
func cdaSample(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile(samplesDir + "/cr-bio-n1-pdf.xml")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// message builds an ORU or MDM around one ED OBX with the given ORC-1 and
// OBX-11, segments ended by term.
func message(event, orc1, obx11, payload, term string) string {
	segs := []string{
		"MSH|^~\\&|LIS|LAB|DB|MES|20250114093500||" + event + "|C1|P|2.5|||||FRA|UNICODE UTF-8",
		"PID|1||285047505612322^^^ASIP-SANTE-INS-NIR&1.2.250.1.213.1.4.10&ISO^INS||DOCBRIDGE-TEST^CAMILLE^CAMILLE MARIE-ANNE^^^^L||19850417|F|||~^^^^^^BDL^^75056",
	}
	if orc1 != "-" {
		segs = append(segs, "ORC|"+orc1)
	}
	segs = append(segs, "OBR|1||F-1^LAB|11502-2^CR^LN",
		"OBX|1|ED|11502-2^CR d'examens biologiques^LN||^TEXT^XML^Base64^"+payload+"||||||"+obx11)
	return strings.Join(segs, term) + term
}

// TestActionTable checks the volet's action table: ORC-1, OBX-11 and the
// MDM event must agree.
func TestActionTable(t *testing.T) {
	o := testOptions(t)
	b64 := base64.StdEncoding.EncodeToString(cdaSample(t))
	tests := []struct {
		event, orc1, obx11 string
		want               docbridge.Action
		wantReason         docbridge.Reason
		wantMsg            string
	}{
		{"ORU^R01", "NW", "F", docbridge.Create, "", ""},
		{"ORU^R01", "RO", "C", docbridge.Replace, "", ""},
		{"ORU^R01", "CA", "D", docbridge.Delete, "", ""},
		{"ORU^R01", "-", "F", docbridge.Create, "", ""},
		{"ORU^R01", "-", "D", docbridge.Delete, "", ""},
		{"ORU^R01", "NW", "C", "", docbridge.Malformed, "OBX-11: C (a replacement) contradicts ORC-1 NW (a new document)"},
		{"ORU^R01", "RO", "F", "", docbridge.Malformed, "OBX-11: F (a new document) contradicts ORC-1 RO (a replacement)"},
		{"ORU^R01", "CA", "F", "", docbridge.Malformed, "contradicts ORC-1 CA (a deletion)"},
		{"ORU^R01", "SC", "F", "", docbridge.UnsupportedFormat, "ORC-1: order control \"SC\""},
		{"ORU^R01", "NW", "P", "", docbridge.UnsupportedFormat, "OBX-11: result status \"P\""},
		{"MDM^T02", "NW", "F", docbridge.Create, "", ""},
		{"MDM^T02", "SC", "F", docbridge.Create, "", ""},
		{"MDM^T02", "-", "F", docbridge.Create, "", ""},
		{"MDM^T10", "RO", "C", docbridge.Replace, "", ""},
		{"MDM^T04", "CA", "D", docbridge.Delete, "", ""},
		{"MDM^T10", "NW", "C", "", docbridge.Malformed, "ORC-1: NW (a new document) contradicts the event MDM^T10"},
		{"MDM^T04", "CA", "F", "", docbridge.Malformed, "OBX-11: F (a new document) contradicts the event MDM^T04"},
		{"MDM^T02", "-", "D", "", docbridge.Malformed, "contradicts the event MDM^T02"},
		{"MDM^T01", "NW", "F", "", docbridge.UnsupportedFormat, "MSH-9.2: MDM^T01"},
		{"ORU^R30", "NW", "F", "", docbridge.UnsupportedFormat, "MSH-9.2: ORU^R30"},
	}
	for _, tt := range tests {
		name := tt.event + "/" + tt.orc1 + "/" + tt.obx11
		t.Run(name, func(t *testing.T) {
			docs, err := Convert([]byte(message(tt.event, tt.orc1, tt.obx11, b64, "\r")), o)
			if got := docbridge.ReasonOf(err); got != tt.wantReason {
				t.Fatalf("reason = %q (%v), want %q", got, err, tt.wantReason)
			}
			if err != nil {
				if !strings.Contains(docbridge.MessageOf(err), tt.wantMsg) {
					t.Errorf("message %q does not contain %q", docbridge.MessageOf(err), tt.wantMsg)
				}
				return
			}
			if got := docs[0].Action; got != tt.want {
				t.Errorf("Action = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestTerminatorsGiveTheSameDocument(t *testing.T) {
	o := testOptions(t)
	b64 := base64.StdEncoding.EncodeToString(cdaSample(t))
	var first string
	for _, term := range []string{"\r", "\n", "\r\n"} {
		msg := message("ORU^R01", "NW", "F", b64, term)
		for _, in := range []string{msg, string(hl7.Frame([]byte(msg)))} {
			docs, err := Convert([]byte(in), o)
			if err != nil {
				t.Fatalf("terminator %q: %v", term, err)
			}
			if first == "" {
				first = docs[0].SHA256
			}
			if docs[0].SHA256 != first || docs[0].UniqueID != "urn:oid:1.2.250.1.999.42.1.1001" {
				t.Errorf("terminator %q: document %s %s differs", term, docs[0].UniqueID, docs[0].SHA256)
			}
		}
	}
}

func TestPayloads(t *testing.T) {
	o := testOptions(t)
	enc := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	tests := []struct {
		name, payload string
		obx11         string
		wantReason    docbridge.Reason
		wantMsg       string
	}{
		{"text placeholder", enc("Document médical au format CDA"), "F", docbridge.Malformed, "OBX-5.5: base64 decodes to 31 bytes of text, not a CDA document"},
		{"truncated prolog, no padding", "PD94bWwgdmVyc2lvbj0iMS4wIiBlbmNvZGl", "F", docbridge.Malformed, "26 bytes of a truncated XML prolog"},
		{"a PDF declared as XML", enc("%PDF-1.4 x"), "F", docbridge.Malformed, "a PDF, not a CDA"},
		{"binary", enc("\x00\x01\x02"), "F", docbridge.Malformed, "3 bytes of binary data"},
		{"other XML", enc("<html/>"), "F", docbridge.Malformed, "XML whose root is not a CDA"},
		{"not base64", "***", "F", docbridge.Malformed, "OBX-5.5: the document data is not valid base64"},
		{"empty", "", "F", docbridge.Malformed, "OBX-5.5: the document data is empty"},
		{"delete needs the CDA", enc("placeholder"), "D", docbridge.Malformed, "a deletion must carry the CDA"},
		{"hostile CDA", enc(`<!DOCTYPE ClinicalDocument [<!ENTITY a "b">]><ClinicalDocument/>`), "F", docbridge.ForbiddenConstruct, "OBX-5.5: the embedded CDA is refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Convert([]byte(message("ORU^R01", "-", tt.obx11, tt.payload, "\r")), o)
			if got := docbridge.ReasonOf(err); got != tt.wantReason {
				t.Fatalf("reason = %q (%v), want %q", got, err, tt.wantReason)
			}
			if !strings.Contains(docbridge.MessageOf(err), tt.wantMsg) {
				t.Errorf("message %q does not contain %q", docbridge.MessageOf(err), tt.wantMsg)
			}
			if l, ok := hl7.LocationOf(docbridge.MessageOf(err)); !ok || l.Segment != "OBX" {
				t.Errorf("message %q does not start with an OBX location", docbridge.MessageOf(err))
			}
		})
	}
}

func TestEscapedBase64IsDecoded(t *testing.T) {
	b64 := base64.StdEncoding.EncodeToString(cdaSample(t))
	// A sender that inserts escaped line breaks every 76 characters.
	var sb strings.Builder
	for i := 0; i < len(b64); i += 76 {
		sb.WriteString(b64[i:min(i+76, len(b64))] + `\X0D0A\`)
	}
	docs, err := Convert([]byte(message("ORU^R01", "NW", "F", sb.String(), "\r")), testOptions(t))
	if err != nil || docs[0].UniqueID != "urn:oid:1.2.250.1.999.42.1.1001" {
		t.Fatalf("Convert = %v, %v", docs, err)
	}
}

func TestMetaDMPMSSLabels(t *testing.T) {
	b64 := base64.StdEncoding.EncodeToString(cdaSample(t))
	base := message("ORU^R01", "NW", "F", b64, "\r")
	tests := []struct {
		name  string
		flags []string
		want  []string
		err   docbridge.Reason
	}{
		{"none", nil, nil, ""},
		{"all N", []string{"MASQUE_PS^x^MetaDMPMSS||N", "INVISIBLE_PATIENT^x^MetaDMPMSS||N"}, nil, ""},
		{"masked", []string{"MASQUE_PS^x^MetaDMPMSS||Y^^expandedYes-NoIndicator"}, []string{"MASQUE_PS"}, ""},
		{"three, old spelling without system", []string{"MASQUE_PS^x||Y", "INVISIBLE_PATIENT^x||Y", "INVISIBLE_REPRESENTANTS_LEGAUX^x||Y"},
			[]string{"MASQUE_PS", "INVISIBLE_PATIENT", "INVISIBLE_REPRESENTANTS_LEGAUX"}, ""},
		{"routing flags are not labels", []string{"CONNEXION_SECRETE^x^MetaDMPMSS||Y", "DESTMSSANTEPS^x^MetaDMPMSS||Y"}, nil, ""},
		{"not for the DMP", []string{"DESTDMP^x^MetaDMPMSS||N"}, nil, docbridge.UnsupportedFormat},
		{"bad flag value", []string{"MASQUE_PS^x^MetaDMPMSS||O"}, nil, docbridge.Malformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := base
			for i, f := range tt.flags {
				msg += "OBX|" + string(rune('2'+i)) + "|CE|" + f + "||||||F\r"
			}
			docs, err := Convert([]byte(msg), testOptions(t))
			if docbridge.ReasonOf(err) != tt.err {
				t.Fatalf("error = %v, want %q", err, tt.err)
			}
			if err != nil {
				return
			}
			var got []string
			for _, c := range docs[0].SecurityLabels {
				if c.System != visibilitySystem {
					t.Errorf("label system %q", c.System)
				}
				got = append(got, c.Code)
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("labels = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPatientFromPID(t *testing.T) {
	tests := []struct {
		name, pid string
		want      docbridge.Patient
		problems  []string // substrings of error problems, in order
	}{
		{"PAM FR", "PID|||000003^^^CHU-X&000897406&N^PI~279035121518989^^^ASIP-SANTE-INS-NIR&1.2.250.1.213.1.4.10&ISO^INS^^20101207||PAT-TROIS^DOMINIQUE^DOMINIQUE MARIE^^^^L~USAGE^DOMI^^^^^D||19790328|F|||28 Av^^PARIS^^75007^FRA^H~^^^^^^BDL^^63220||||||||||||||||||||N|VALI",
			docbridge.Patient{INS: "279035121518989", INSSystem: "urn:oid:1.2.250.1.213.1.4.10", BirthName: "PAT-TROIS",
				FirstNames: []string{"DOMINIQUE", "MARIE"}, BirthDate: "1979-03-28", Sex: "F", BirthPlace: "63220",
				LocalIDs: []docbridge.Identifier{{System: "CHU-X", Value: "000003"}}, IdentityStatus: "VALI"}, nil},
		{"IPP under an OID, no INS", "PID|||42^^^LAB&1.2.3.4&ISO^PI||N^P^P^^^^L||20000101|M|||^^^^^^BDL^^99134",
			docbridge.Patient{BirthName: "N", FirstNames: []string{"P"}, BirthDate: "2000-01-01", Sex: "M", BirthPlace: "99134",
				LocalIDs: []docbridge.Identifier{{System: "urn:oid:1.2.3.4", Value: "42"}}}, []string{"PID-3: no repetition has an INS"}},
		{"nothing", "PID|1",
			docbridge.Patient{}, []string{"PID-3", "birth name", "birth first names", "birth date", "sex", "birthplace"}},
		{"two INS", "PID|||1^^^A&1.2.250.1.213.1.4.8&ISO^INS~2^^^A&1.2.250.1.213.1.4.9&ISO^INS||N^P^P^^^^L||2000|X|||",
			docbridge.Patient{INS: "1", INSSystem: "urn:oid:1.2.250.1.213.1.4.8", BirthName: "N", FirstNames: []string{"P"},
				LocalIDs: []docbridge.Identifier{{System: "urn:oid:1.2.250.1.213.1.4.9", Value: "2"}}},
			[]string{"2 different INS", "birth date", "sex", "birthplace"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg, err := hl7.Parse([]byte("MSH|^~\\&|A\r" + tt.pid + "\r"))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			p := patient(msg, func(r docbridge.Reason, s docbridge.Severity, f string, a ...any) {
				if s == docbridge.SeverityError {
					got = append(got, string(r)+": "+fmt.Sprintf(f, a...))
				}
			})
			if p.INS != tt.want.INS || p.INSSystem != tt.want.INSSystem || p.BirthName != tt.want.BirthName ||
				strings.Join(p.FirstNames, " ") != strings.Join(tt.want.FirstNames, " ") || p.BirthDate != tt.want.BirthDate ||
				p.Sex != tt.want.Sex || p.BirthPlace != tt.want.BirthPlace || p.IdentityStatus != tt.want.IdentityStatus ||
				len(p.LocalIDs) != len(tt.want.LocalIDs) || (len(p.LocalIDs) > 0 && p.LocalIDs[0] != tt.want.LocalIDs[0]) {
				t.Errorf("patient = %+v\nwant      %+v", p, tt.want)
			}
			if len(got) != len(tt.problems) {
				t.Fatalf("problems = %q, want %d like %q", got, len(tt.problems), tt.problems)
			}
			for i, w := range tt.problems {
				if !strings.Contains(got[i], w) {
					t.Errorf("problem %d = %q, want it to mention %q", i, got[i], w)
				}
			}
		})
	}
}

func TestUniqueID(t *testing.T) {
	tests := []struct {
		ei, want string
		ok       bool
	}{
		{"4005^^1.2.250.1.999.42.1^ISO", "1.2.250.1.999.42.1^4005", true},
		{"1.2.250.1.71.4.2.2.120456789.71024000081^Organisation-Y", "urn:oid:1.2.250.1.71.4.2.2.120456789.71024000081", true},
		{"6F9619FF-8B86-D011-B42D-00C04FC964FF", "urn:uuid:6f9619ff-8b86-d011-b42d-00c04fc964ff", true},
		{"1001-E1^labo", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		m, _ := hl7.Parse([]byte("MSH|^~\\&|A\rTXA|" + tt.ei + "\r"))
		got, ok := uniqueID(m.Segments()[1].Field(1))
		if got != tt.want || ok != tt.ok {
			t.Errorf("uniqueID(%q) = %q, %v; want %q, %v", tt.ei, got, ok, tt.want, tt.ok)
		}
	}
	if a, b := derivedID("labo", "1001-E1^labo"), derivedID("labo", "1001-E1^labo"); a != b || !ident.IsUUID(a[len("urn:uuid:"):]) {
		t.Errorf("derivedID is not a stable UUID: %q %q", a, b)
	}
	if derivedID("labo", "1") == derivedID("other", "1") {
		t.Error("derivedID ignores the facility")
	}
}

func TestParseDTM(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skip("no zone database")
	}
	tests := []struct {
		in, want string
		date, ok bool
	}{
		{"20250114", "2025-01-14", true, true},
		{"202501140930", "2025-01-14T09:30:00+01:00", false, true},
		{"20250714093000", "2025-07-14T09:30:00+02:00", false, true},
		{"20250114093000.25+0000", "2025-01-14T09:30:00.25Z", false, true},
		{"20250114093000-0500", "2025-01-14T09:30:00-05:00", false, true},
		{"2025", "", false, false},
		{"20250230", "", false, false},
		{"20250114256000", "", false, false},
		{"20250114+01", "", false, false},
		{"x", "", false, false},
	}
	for _, tt := range tests {
		got, err := parseDTM(tt.in, paris)
		if (err == nil) != tt.ok || got.Value != tt.want || got.Date != tt.date {
			t.Errorf("parseDTM(%q) = %+v, %v; want %q date=%v ok=%v", tt.in, got, err, tt.want, tt.date, tt.ok)
		}
	}
}

func TestCharsetOverride(t *testing.T) {
	raw, err := os.ReadFile("testdata/oru-pdf-latin1.hl7")
	if err != nil {
		t.Fatal(err)
	}
	o := testOptions(t)
	docs, err := Convert(raw, o)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := docs[0].Patient.BirthName, "DOCBRIDGE-ÉTÉ"; got != want {
		t.Errorf("BirthName = %q, want %q", got, want)
	}
	o.Charsets = map[string]string{"LIS-DB": "UNICODE UTF-8"}
	docs, err = Convert(raw, o)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := docs[0].Patient.BirthName, "DOCBRIDGE-\uFFFDT\uFFFD"; got != want {
		t.Errorf("with a UTF-8 override, BirthName = %q, want %q", got, want)
	}
}

func TestNoMappings(t *testing.T) {
	if _, err := Convert([]byte("MSH|^~\\&|A\r"), Options{}); docbridge.ReasonOf(err) != docbridge.Internal {
		t.Errorf("error = %v, want internal", err)
	}
}
