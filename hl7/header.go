package hl7

import "bytes"

// Header is what MSH says about a message: who sent it to whom, what it
// is, its control id. The applications and facilities are HD values (their
// components are namespace, universal id, universal id type), kept as
// Values so that an ACK can send them back exactly.
type Header struct {
	SendingApplication   Value  // MSH-3
	SendingFacility      Value  // MSH-4
	ReceivingApplication Value  // MSH-5
	ReceivingFacility    Value  // MSH-6
	Time                 string // MSH-7 as written
	MessageType          string // MSH-9.1: ORU, MDM, ADT, ACK…
	TriggerEvent         string // MSH-9.2: R01, T02…
	MessageStructure     string // MSH-9.3: ORU_R01…
	ControlID            string // MSH-10
	ProcessingID         string // MSH-11.1: P, T or D
	Version              string // MSH-12.1: 2.5, 2.6…
	Charset              string // MSH-18 as declared (first repetition)
}

// Type returns "TYPE^TRIGGER" ("ORU^R01"), or the type alone without a
// trigger event.
func (h Header) Type() string {
	if h.TriggerEvent == "" {
		return h.MessageType
	}
	return h.MessageType + "^" + h.TriggerEvent
}

// Header reads the message's MSH.
func (m *Message) Header() Header {
	msh := m.segs[0]
	f := msh.Field
	return Header{
		SendingApplication:   f(3),
		SendingFacility:      f(4),
		ReceivingApplication: f(5),
		ReceivingFacility:    f(6),
		Time:                 f(7).Comp(1).Text(),
		MessageType:          f(9).Comp(1).Text(),
		TriggerEvent:         f(9).Comp(2).Text(),
		MessageStructure:     f(9).Comp(3).Text(),
		ControlID:            f(10).Text(),
		ProcessingID:         f(11).Comp(1).Text(),
		Version:              f(12).Comp(1).Text(),
		Charset:              f(18).Rep(1).Text(),
	}
}

// ParseHeader reads only the MSH segment of raw: enough to acknowledge a
// message the rest of which cannot be parsed (ParseWith refuses it) or
// that is too large to be read whole. raw may be the first bytes of a
// message only. An unsupported character set is not an error here: the
// header is read as UTF-8. Errors are *ParseError: raw does not start with
// MSH, or MSH's delimiters are unusable.
func ParseHeader(raw []byte) (Header, error) {
	b := trimLeft(raw)
	if !bytes.HasPrefix(b, []byte("MSH")) {
		return Header{}, parseErrorf(1, "the message does not start with an MSH segment")
	}
	if i := bytes.IndexAny(b, "\r\n"); i >= 0 {
		b = b[:i]
	}
	d, err := readDelimiters(b)
	if err != nil {
		return Header{}, err
	}
	m := &Message{raw: b, delims: d}
	m.segs = []Segment{{b: b, m: m}}
	if name, enc, err := lookupCharset(string(m.segs[0].Field(18).Rep(1).Raw())); err == nil {
		m.charset, m.enc = name, enc
	} else {
		m.charset = "UTF-8"
	}
	return m.Header(), nil
}
