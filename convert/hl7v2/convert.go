package hl7v2

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/convert/internal/dates"
	"github.com/docbridge/docbridge/hl7"
	"github.com/docbridge/docbridge/mappings"
)

// Options configure Convert.
type Options struct {
	// Mappings are the loaded value sets; required.
	Mappings *mappings.Set
	// Location reads source times without an offset; nil means Europe/Paris.
	Location *time.Location
	// Charsets overrides MSH-18 per source: the key is the sending
	// application (MSH-3.1), the value a character set name of
	// hl7.CharsetNames ("windows-1252" for a sender that declares 8859/1 but
	// writes Windows characters).
	Charsets map[string]string
	// Measurements reads the numeric OBX of an ORU^R01 that MES's Mesures
	// profiles take as measurement documents (the source profile's
	// Measurements); off, they are left alone as before.
	Measurements bool
}

// Convert reads one HL7 v2 message (bare, or in one MLLP frame) and returns
// its documents: those an ORU^R01 or MDM message carries, or the one
// appointment (a KindAppointment document) of an SIU^S12, S13, S14, S15,
// S17 or S26 message (appointment.go).
//
// A whole-message refusal returns (nil, *docbridge.Error):
// UnsupportedFormat for a message that is not a document transmission
// (ADT, ACK, another event, no document OBX) or a payload type docbridge
// does not send; Malformed for a message that cannot be parsed, an action
// that contradicts itself (ORC-1, OBX-11, event), a payload that is not what
// it says (a placeholder decoding to text, a truncated CDA); the embedded
// CDA's own refusal reason (ForbiddenConstruct, TooLarge, …); Internal when
// o.Mappings is nil. Everything else wrong with a document is a Problem on
// it.
func Convert(raw []byte, o Options) ([]*docbridge.Document, error) {
	if o.Mappings == nil {
		return nil, docbridge.Errorf(docbridge.Internal, "hl7v2.Convert was called without value sets (Options.Mappings)")
	}
	loc, err := dates.Location(o.Location)
	if err != nil {
		return nil, err
	}
	body, _ := hl7.Unframe(raw)
	msg, err := parse(body, o.Charsets)
	if err != nil {
		return nil, err
	}
	c := &conv{msg: msg, h: msg.Header(), m: o.Mappings, loc: loc, measures: o.Measurements}
	if c.isSIU() {
		if err := c.checkSIU(); err != nil {
			return nil, err
		}
		return c.appointment()
	}
	if err := c.checkType(); err != nil {
		return nil, err
	}
	return c.documents()
}

// parse parses the message with the character set override of its sender.
func parse(body []byte, overrides map[string]string) (*hl7.Message, error) {
	var po hl7.ParseOptions
	if len(overrides) > 0 {
		if h, err := hl7.ParseHeader(body); err == nil {
			po.Charset = overrides[h.SendingApplication.Comp(1).Text()]
		}
	}
	msg, err := hl7.ParseWith(body, po)
	if err != nil {
		var pe *hl7.ParseError
		if errors.As(err, &pe) {
			if pe.Segment > 0 {
				return nil, docbridge.Errorf(docbridge.Malformed, "the HL7 v2 message cannot be parsed: segment %d: %s", pe.Segment, pe.Msg)
			}
			return nil, docbridge.Errorf(docbridge.Malformed, "the HL7 v2 message cannot be parsed: %s", pe.Msg)
		}
		return nil, docbridge.Wrap(docbridge.Malformed, "the HL7 v2 message cannot be parsed", err)
	}
	return msg, nil
}

// conv converts one parsed message.
type conv struct {
	msg *hl7.Message
	h   hl7.Header
	m   *mappings.Set
	loc *time.Location
	// event is the MDM trigger event (T02, T04, T10) or the SIU one
	// (S12…), "" for ORU.
	event string
	// measures: read measurements (Options.Measurements).
	measures bool
}

// checkType accepts ORU^R01 and MDM^T02/T04/T10 and says what anything
// else is.
func (c *conv) checkType() error {
	typ, ev := strings.ToUpper(c.h.MessageType), strings.ToUpper(c.h.TriggerEvent)
	name := clip(c.h.Type(), 24)
	switch {
	case typ == "ORU" && ev == "R01":
		return nil
	case typ == "MDM" && (ev == "T02" || ev == "T04" || ev == "T10"):
		c.event = ev
		return nil
	case typ == "MDM":
		return docbridge.Errorf(docbridge.UnsupportedFormat,
			"MSH-9.2: %s is not a document transmission event docbridge takes (MDM^T02 new document, T10 replacement, T04 deletion)", name)
	case typ == "ORU":
		return docbridge.Errorf(docbridge.UnsupportedFormat,
			"MSH-9.2: %s is not an event docbridge takes (ORU^R01)", name)
	case typ == "ACK":
		return docbridge.Errorf(docbridge.UnsupportedFormat,
			"MSH-9: the message is an acknowledgement (%s), not a document", name)
	case typ == "ADT":
		return docbridge.Errorf(docbridge.UnsupportedFormat,
			"MSH-9: %s is a patient administration message (ADT, PAM FR), not a document; docbridge takes ORU^R01 and MDM^T02, T04 and T10", name)
	case typ == "":
		return docbridge.Errorf(docbridge.Malformed, "MSH-9: the message type is missing")
	}
	return docbridge.Errorf(docbridge.UnsupportedFormat,
		"MSH-9: %s messages carry no document docbridge takes (ORU^R01, MDM^T02, T04, T10)", name)
}

// clip shortens a value quoted in a message (never patient data: message
// types, codes, ids).
func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// ref formats the location of occurrence seq of segment id, field f and
// component comp (0 to leave out) as hl7.Location.Ref does.
func ref(id string, seq, f, comp int) string {
	return hl7.Location{Segment: id, Sequence: seq, Field: f, Component: comp}.Ref()
}

func errorAt(reason docbridge.Reason, at string, format string, args ...any) error {
	return docbridge.Errorf(reason, "%s: %s", at, fmt.Sprintf(format, args...))
}

// Sender returns the sending application and facility of an HL7 v2
// message (MSH-3.1, MSH-4.1; bare or in one MLLP frame), which choose its
// source profile; "" for what the message does not give or cannot be
// read.
func Sender(raw []byte) (application, facility string) {
	body, _ := hl7.Unframe(raw)
	h, err := hl7.ParseHeader(body)
	if err != nil {
		return "", ""
	}
	return h.SendingApplication.Comp(1).Text(), h.SendingFacility.Comp(1).Text()
}
