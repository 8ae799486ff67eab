package hl7

import (
	"strings"
	"testing"
	"time"
)

func TestAckBytes(t *testing.T) {
	orig := mustParse(t, "MSH|^~\\&|SIL-Y|labo^1.2.3^ISO|PFI-X|Organisation-X|202106060931||ORU^R01^ORU_R01|015|T|2.5|||||FRA|UNICODE UTF-8\rPID|1\r")
	at := time.Date(2025, 1, 14, 9, 35, 0, 0, time.FixedZone("", 3600))
	tests := []struct {
		name string
		ack  Ack
		want string
	}{
		{"AA", Ack{Code: AA, Original: orig.Header(), ControlID: "DB1", Time: at},
			"MSH|^~\\&|PFI-X|Organisation-X|SIL-Y|labo^1.2.3^ISO|20250114093500+0100||ACK^R01^ACK|DB1|T|2.5||||||UNICODE UTF-8\r" +
				"MSA|AA|015\r"},
		{"AE with ERR", Ack{Code: AE, Original: orig.Header(), ControlID: "DB2", Time: at, Errors: []ErrorDetail{{
			Location: Location{Segment: "OBX", Sequence: 1, Field: 5, Component: 5}, Code: CodeDataType,
			Text: "malformed: OBX-5 base64 | decodes to text",
		}}},
			"MSH|^~\\&|PFI-X|Organisation-X|SIL-Y|labo^1.2.3^ISO|20250114093500+0100||ACK^R01^ACK|DB2|T|2.5||||||UNICODE UTF-8\r" +
				"MSA|AE|015\r" +
				"ERR||OBX^1^5^^5|102^Data type error^HL70357|E||||malformed: OBX-5 base64 \\F\\ decodes to text\r"},
		{"AR without original", Ack{Code: AR, ControlID: "DB3", Time: at, Application: "DOCBRIDGE", Facility: "LAB",
			Errors: []ErrorDetail{{Code: CodeInternalError, Severity: SeverityError, Text: "shutting down"}}},
			"MSH|^~\\&|DOCBRIDGE|LAB|||20250114093500+0100||ACK|DB3|P|2.5||||||UNICODE UTF-8\r" +
				"MSA|AR|\r" +
				"ERR|||207^Application internal error^HL70357|E||||shutting down\r"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(tt.ack.Bytes())
			if got != tt.want {
				t.Errorf("Bytes =\n%q\nwant\n%q", got, tt.want)
			}
			m, err := Parse([]byte(got))
			if err != nil {
				t.Fatalf("the ACK does not parse: %v", err)
			}
			msa, _ := m.Segment("MSA")
			if got := msa.Field(1).String(); got != string(tt.ack.Code) {
				t.Errorf("MSA-1 = %q", got)
			}
		})
	}
}

func TestAckReencodesOtherDelimiters(t *testing.T) {
	orig := mustParse(t, "MSH#*@!%#APP*1.2#FAC%x#RCV#RF###ORU*R01#C#P#2.5\r")
	got := string(Ack{Code: AA, Original: orig.Header(), ControlID: "1"}.Bytes())
	if !strings.HasPrefix(got, "MSH|^~\\&|RCV|RF|APP^1.2|FAC&x|") {
		t.Errorf("ACK = %q", got)
	}
	if !strings.Contains(got, "MSA|AA|C\r") {
		t.Errorf("ACK = %q", got)
	}
}

func TestLocationAndCodes(t *testing.T) {
	tests := []struct {
		l    Location
		want string
	}{
		{Location{}, ""},
		{Location{Segment: "MSH", Sequence: 1, Field: 9}, "MSH^1^9"},
		{Location{Segment: "PID", Sequence: 1, Field: 3, FieldRep: 2, Component: 4, Subcomponent: 2}, "PID^1^3^2^4^2"},
	}
	for _, tt := range tests {
		if got := tt.l.String(); got != tt.want {
			t.Errorf("%+v = %q, want %q", tt.l, got, tt.want)
		}
	}
	if CodeUnsupportedMessageType.Text() != "Unsupported message type" || ErrorCode(999).Text() != "" {
		t.Error("table 0357 texts")
	}
}

func TestLocationRefRoundTrip(t *testing.T) {
	tests := []struct {
		msg  string
		want Location
		ok   bool
	}{
		{"OBX[2]-5.5: base64 decodes to text", Location{Segment: "OBX", Sequence: 2, Field: 5, Component: 5}, true},
		{"PID-3: no INS", Location{Segment: "PID", Sequence: 1, Field: 3}, true},
		{"MSH-9.2.1: x", Location{Segment: "MSH", Sequence: 1, Field: 9, Component: 2, Subcomponent: 1}, true},
		{"ORC: missing", Location{Segment: "ORC", Sequence: 1}, true},
		{"the message is empty", Location{}, false},
		{"OBX[0]-5: x", Location{}, false},
		{"OBX-5.a: x", Location{}, false},
		{"obx-5: x", Location{}, false},
		{"OBX-5.1.2.3: x", Location{}, false},
		{"OBX[2: x", Location{}, false},
	}
	for _, tt := range tests {
		got, ok := LocationOf(tt.msg)
		if got != tt.want || ok != tt.ok {
			t.Errorf("LocationOf(%q) = %+v, %v; want %+v, %v", tt.msg, got, ok, tt.want, tt.ok)
		}
		if ok {
			if ref, _, _ := strings.Cut(tt.msg, ": "); got.Ref() != ref {
				t.Errorf("Ref() = %q, want %q", got.Ref(), ref)
			}
		}
	}
}
