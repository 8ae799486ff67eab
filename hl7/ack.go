package hl7

import (
	"bytes"
	"strconv"
	"strings"
	"time"
)

// AckCode is MSA-1, the acknowledgement code of the original mode.
type AckCode string

// The acknowledgement codes (docs/sources.md §4).
const (
	// AA: accepted, and responsibility for the message is taken.
	AA AckCode = "AA"
	// AE: refused because of its content or syntax; resending it unchanged
	// will fail again.
	AE AckCode = "AE"
	// AR: rejected for a circumstantial reason; it may be sent again later.
	AR AckCode = "AR"
)

// ErrorCode is an HL7 table 0357 message error condition code (ERR-3).
type ErrorCode int

// The table 0357 codes.
const (
	CodeAccepted               ErrorCode = 0
	CodeSegmentSequence        ErrorCode = 100
	CodeRequiredFieldMissing   ErrorCode = 101
	CodeDataType               ErrorCode = 102
	CodeTableValueNotFound     ErrorCode = 103
	CodeValueTooLong           ErrorCode = 104
	CodeUnsupportedMessageType ErrorCode = 200
	CodeUnsupportedEvent       ErrorCode = 201
	CodeUnsupportedProcessing  ErrorCode = 202
	CodeUnsupportedVersion     ErrorCode = 203
	CodeUnknownKey             ErrorCode = 204
	CodeDuplicateKey           ErrorCode = 205
	CodeRecordLocked           ErrorCode = 206
	CodeInternalError          ErrorCode = 207
)

var errorCodeText = map[ErrorCode]string{
	CodeAccepted:               "Message accepted",
	CodeSegmentSequence:        "Segment sequence error",
	CodeRequiredFieldMissing:   "Required field missing",
	CodeDataType:               "Data type error",
	CodeTableValueNotFound:     "Table value not found",
	CodeValueTooLong:           "Value too long",
	CodeUnsupportedMessageType: "Unsupported message type",
	CodeUnsupportedEvent:       "Unsupported event code",
	CodeUnsupportedProcessing:  "Unsupported processing id",
	CodeUnsupportedVersion:     "Unsupported version id",
	CodeUnknownKey:             "Unknown key identifier",
	CodeDuplicateKey:           "Duplicate key identifier",
	CodeRecordLocked:           "Application record locked",
	CodeInternalError:          "Application internal error",
}

// Text returns the code's name in table 0357, or "" for an unknown code.
func (c ErrorCode) Text() string { return errorCodeText[c] }

// Severity is ERR-4 (HL7 table 0516).
type Severity string

// The severities.
const (
	SeverityError       Severity = "E"
	SeverityWarning     Severity = "W"
	SeverityInformation Severity = "I"
)

// Location is an ERL (ERR-2): where in the original message the error is.
// Zero numbers are left out.
type Location struct {
	Segment      string // segment id, "OBX"
	Sequence     int    // which occurrence of the segment, 1-based
	Field        int
	FieldRep     int
	Component    int
	Subcomponent int
}

// String returns the ERL as ER7 ("OBX^1^5^1^5").
func (l Location) String() string {
	if l.Segment == "" {
		return ""
	}
	parts := []string{Escape(l.Segment, DefaultDelimiters)}
	for _, n := range []int{l.Sequence, l.Field, l.FieldRep, l.Component, l.Subcomponent} {
		s := ""
		if n > 0 {
			s = strconv.Itoa(n)
		}
		parts = append(parts, s)
	}
	return strings.TrimRight(strings.Join(parts, "^"), "^")
}

// ErrorDetail is one ERR segment.
type ErrorDetail struct {
	Location Location  // ERR-2
	Code     ErrorCode // ERR-3
	Severity Severity  // ERR-4; "" means E
	Text     string    // ERR-8, the user message; never patient data
}

// Ack is an acknowledgement in original mode to build.
type Ack struct {
	Code AckCode
	// Original is the header of the message acknowledged; its zero value
	// (nothing readable) gives an ACK with empty MSA-2.
	Original Header
	// ControlID is the ACK's own MSH-10.
	ControlID string
	// Time is MSH-7.
	Time time.Time
	// Application and Facility are MSH-3 and MSH-4 when the original names
	// no receiving application and facility.
	Application, Facility string
	Errors                []ErrorDetail
}

// Bytes returns the ACK as an ER7 message with the default delimiters,
// segments ended by CR, in UTF-8 (MSH-18 "UNICODE UTF-8"): MSH with the
// original's sender and receiver swapped, MSH-9 ACK^<trigger>^ACK and the
// original's processing id and version; MSA with the code and the original
// MSH-10; one ERR per error detail (ERR-2 location, ERR-3 code^text^HL70357,
// ERR-4 severity, ERR-8 text).
func (a Ack) Bytes() []byte {
	d := DefaultDelimiters
	esc := func(s string) string { return Escape(s, d) }
	o := a.Original
	sendApp, sendFac := reencode(o.ReceivingApplication), reencode(o.ReceivingFacility)
	if sendApp == "" && sendFac == "" {
		sendApp, sendFac = esc(a.Application), esc(a.Facility)
	}
	processing, version := o.ProcessingID, o.Version
	if processing == "" {
		processing = "P"
	}
	if version == "" {
		version = "2.5"
	}
	msgType := "ACK"
	if o.TriggerEvent != "" {
		msgType = "ACK^" + esc(o.TriggerEvent) + "^ACK"
	}
	var b bytes.Buffer
	fields := []string{"MSH", d.encodingChars(), sendApp, sendFac,
		reencode(o.SendingApplication), reencode(o.SendingFacility),
		a.Time.Format("20060102150405-0700"), "", msgType, esc(a.ControlID),
		esc(processing), esc(version), "", "", "", "", "", "UNICODE UTF-8"}
	b.WriteString(strings.Join(fields, "|"))
	b.WriteByte('\r')
	b.WriteString("MSA|" + string(a.Code) + "|" + esc(o.ControlID) + "\r")
	for _, e := range a.Errors {
		sev := e.Severity
		if sev == "" {
			sev = SeverityError
		}
		code := strconv.Itoa(int(e.Code)) + "^" + esc(e.Code.Text()) + "^HL70357"
		b.WriteString("ERR||" + e.Location.String() + "|" + code + "|" + string(sev) + "||||" + esc(e.Text) + "\r")
	}
	return b.Bytes()
}

// reencode writes an HD or other composite value of one message with the
// default delimiters: components and subcomponents are kept, text is
// unescaped, decoded and escaped again.
func reencode(v Value) string {
	if v.m == nil || len(v.b) == 0 {
		return ""
	}
	d := v.m.delims
	var comps []string
	for _, c := range bytes.Split(v.Rep(1).b, []byte{d.Component}) {
		var subs []string
		for _, s := range bytes.Split(c, []byte{d.Subcomponent}) {
			subs = append(subs, Escape(v.m.decode(Unescape(s, d)), DefaultDelimiters))
		}
		comps = append(comps, strings.Join(subs, "&"))
	}
	return strings.Join(comps, "^")
}
