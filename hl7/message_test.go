package hl7

import (
	"errors"
	"os"
	"strings"
	"testing"
)

func mustParse(t testing.TB, s string) *Message {
	t.Helper()
	m, err := Parse([]byte(s))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return m
}

// TestSegmentTerminators checks every segment-terminator flavour gives the
// same segments.
func TestSegmentTerminators(t *testing.T) {
	segs := []string{"MSH|^~\\&|A|B|C|D|20250101||ORU^R01|1|P|2.5", "PID|||42^^^X^PI", "OBX|1|ST|X||v"}
	tests := []struct {
		name, msg string
	}{
		{"CR", strings.Join(segs, "\r") + "\r"},
		{"LF", strings.Join(segs, "\n") + "\n"},
		{"CRLF", strings.Join(segs, "\r\n") + "\r\n"},
		{"CR without final terminator", strings.Join(segs, "\r")},
		{"LF with blank lines", strings.Join(segs, "\n") + "\n\n\n"},
		{"CR then stray LF (mixed CRLF)", segs[0] + "\r" + segs[1] + "\r\n" + segs[2] + "\r"},
		{"LF then CRLF", segs[0] + "\n" + segs[1] + "\r\n" + segs[2] + "\n"},
		{"BOM and leading white space", "\xEF\xBB\xBF\r\n " + strings.Join(segs, "\r")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := mustParse(t, tt.msg)
			var got []string
			for _, s := range m.Segments() {
				got = append(got, string(s.Raw()))
			}
			if strings.Join(got, "\n") != strings.Join(segs, "\n") {
				t.Errorf("segments = %q, want %q", got, segs)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, msg string
		wantSeg   int
		want      string
	}{
		{"empty", "", 0, "empty"},
		{"white space", " \r\n", 0, "empty"},
		{"not MSH", "PID|1\r", 1, "does not start with an MSH"},
		{"batch", "FHS|^~\\&\rMSH|^~\\&\r", 1, "batch"},
		{"short MSH", "MSH|^~\r", 1, "too short"},
		{"letter delimiter", "MSH|^~\\A|x\r", 1, "not a punctuation"},
		{"duplicate delimiter", "MSH|^^\\&|x\r", 1, "same character"},
		{"MSH-2 too long", "MSH|^~\\&xy|x\r", 1, "four encoding characters"},
		{"bad segment id", "MSH|^~\\&|A\rpid|1\r", 2, "segment id"},
		{"segment id too long", "MSH|^~\\&|A\rPIDX|1\r", 2, "segment id"},
		{"unknown charset", "MSH|^~\\&|A|B|C|D|||ORU^R01|1|P|2.5|||||FRA|EBCDIC\r", 1, `"EBCDIC"`},
		{"UTF-16 charset", "MSH|^~\\&|A|B|C|D|||ORU^R01|1|P|2.5|||||FRA|UNICODE UTF-16\r", 1, "not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.msg))
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse error = %v, want a *ParseError", err)
			}
			if pe.Segment != tt.wantSeg || !strings.Contains(pe.Msg, tt.want) {
				t.Errorf("error = %v (segment %d), want segment %d and %q", err, pe.Segment, tt.wantSeg, tt.want)
			}
		})
	}
}

func TestTruncationCharacterAllowed(t *testing.T) {
	m := mustParse(t, "MSH|^~\\&#|A|B\r")
	if got, want := m.Segments()[0].Field(3).String(), "A"; got != want {
		t.Errorf("MSH-3 = %q, want %q", got, want)
	}
}

func TestFieldsAndParts(t *testing.T) {
	raw, err := os.ReadFile("testdata/oru-escapes.hl7")
	if err != nil {
		t.Fatal(err)
	}
	m, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	msh, _ := m.Segment("MSH")
	pid, _ := m.Segment("PID")
	obx := m.All("OBX")
	tests := []struct {
		name string
		got  Value
		want string
	}{
		{"MSH-1", msh.Field(1), "|"},
		{"MSH-2", msh.Field(2), "^~\\&"},
		{"MSH-3", msh.Field(3), "LIS-DB"},
		{"MSH-4.2", msh.Field(4).Comp(2), "1.2.250.1.999.42"},
		{"MSH-9.2", msh.Field(9).Comp(2), "R01"},
		{"MSH-10", msh.Field(10), "MSG0001"},
		{"MSH-21.2", msh.Field(21).Comp(2), "CISIS_CDA_HL7_V2"},
		{"MSH-99", msh.Field(99), ""},
		{"PID-3 first rep comp 1", pid.Field(3).Comp(1), "DBT-000001"},
		{"PID-3 rep 2", pid.Field(3).Rep(2).Comp(1), "285047505612322"},
		{"PID-3 rep 2 comp 4 sub 2", pid.Field(3).Rep(2).Comp(4).Sub(2), "1.2.250.1.213.1.4.10"},
		{"PID-3 rep 2 comp 5", pid.Field(3).Rep(2).Comp(5), "INS"},
		{"PID-3 rep 3", pid.Field(3).Rep(3), ""},
		{"PID-3 sub of field", pid.Field(3).Sub(1), "DBT-000001"},
		{"PID-5.3 escaped subcomponent", pid.Field(5).Comp(3), "CAMILLE MARIE&ANNE"},
		{"PID-5.7", pid.Field(5).Comp(7), "L"},
		{"component Rep(1) is itself", pid.Field(5).Comp(7).Rep(1), "L"},
		{"component Rep(2) is empty", pid.Field(5).Comp(7).Rep(2), ""},
		{"subcomponent Comp(1) is itself", pid.Field(3).Comp(4).Sub(1).Comp(1), "LABO-DB"},
		{"OBX-5.5 payload", obx[1].Field(5).Comp(5), "JVBERi0xLjQK"},
		{"OBX-5.2", obx[1].Field(5).Comp(2), "application"},
		{"OBX-11", obx[1].Field(11), "F"},
	}
	for _, tt := range tests {
		if got := tt.got.String(); got != tt.want {
			t.Errorf("%s = %q, want %q", tt.name, got, tt.want)
		}
	}
	if got, want := len(m.Segments()), 4; got != want {
		t.Errorf("segments = %d, want %d", got, want)
	}
	if got, want := obx[0].Fields(), 11; got != want {
		t.Errorf("OBX fields = %d, want %d", got, want)
	}
	if got, want := msh.Fields(), 21; got != want {
		t.Errorf("MSH fields = %d, want %d", got, want)
	}
	if got, want := m.Charset(), "ISO-8859-1"; got != want {
		t.Errorf("Charset = %q, want %q", got, want)
	}
	if got, want := len(pid.Field(3).Reps()), 2; got != want {
		t.Errorf("PID-3 reps = %d, want %d", got, want)
	}
}

func TestEscapesInMessage(t *testing.T) {
	raw, _ := os.ReadFile("testdata/oru-escapes.hl7")
	m, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	obx, _ := m.Segment("OBX")
	if got, want := obx.Field(5).String(), "a|b^c&d~e\\f Hi g\nh bold café"; got != want {
		t.Errorf("OBX-5 = %q, want %q", got, want)
	}
}

func TestNullAndEmpty(t *testing.T) {
	m := mustParse(t, "MSH|^~\\&|A\rPID|1|\"\"|\r")
	pid := m.Segments()[1]
	if !pid.Field(2).IsNull() || pid.Field(2).IsEmpty() {
		t.Errorf("PID-2 should be the explicit null")
	}
	if !pid.Field(3).IsEmpty() || pid.Field(3).IsNull() {
		t.Errorf("PID-3 should be empty")
	}
	var zero Value
	if zero.String() != "" || zero.Comp(1).Sub(1).String() != "" || zero.Reps() != nil {
		t.Errorf("zero Value is not empty")
	}
}

func TestNonDefaultDelimiters(t *testing.T) {
	m := mustParse(t, "MSH#*@!%#A*B#C\rPID#1##x*y@z%w*v!F!\r")
	pid := m.Segments()[1]
	tests := []struct {
		got  Value
		want string
	}{
		{pid.Field(3).Comp(2), "y"},
		{pid.Field(3).Rep(2).Comp(1), "z%w"},
		{pid.Field(3).Rep(2).Comp(1).Sub(2), "w"},
		{pid.Field(3).Rep(2).Comp(2), "v#"},
		{m.Segments()[0].Field(3).Comp(2), "B"},
	}
	for i, tt := range tests {
		if got := tt.got.String(); got != tt.want {
			t.Errorf("%d: %q, want %q", i, got, tt.want)
		}
	}
}

func TestHeader(t *testing.T) {
	raw, _ := os.ReadFile("testdata/oru-escapes.hl7")
	full, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	h := full.Header()
	got := []string{h.SendingApplication.String(), h.SendingFacility.Comp(1).String(), h.ReceivingApplication.String(),
		h.Type(), h.MessageStructure, h.ControlID, h.ProcessingID, h.Version, h.Charset, h.Time}
	want := []string{"LIS-DB", "LABO-DB", "DOCBRIDGE", "ORU^R01", "ORU_R01", "MSG0001", "P", "2.5", "8859/1", "20250114093500"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("Header = %q, want %q", got, want)
	}
	// ParseHeader reads the same from a broken or partial message.
	broken := append(append([]byte{}, raw[:200]...), "\rbad segment\r"...)
	h2, err := ParseHeader(broken)
	if err != nil {
		t.Fatal(err)
	}
	if h2.ControlID != "MSG0001" || h2.Type() != "ORU^R01" {
		t.Errorf("ParseHeader = %+v", h2)
	}
	if _, err := ParseHeader([]byte("PID|1")); err == nil {
		t.Error("ParseHeader accepted a message without MSH")
	}
	if h3, err := ParseHeader([]byte("MSH|^~\\&|A||||||ADT|9|||||||KLINGON\r")); err != nil || h3.ControlID != "9" || h3.Type() != "ADT" {
		t.Errorf("ParseHeader with an unknown charset = %+v, %v", h3, err)
	}
}
