package hl7v2

import (
	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/convert/cda"
)

// documents converts every document OBX of the message, then, when
// measurements are on and the message is an ORU^R01, its measurements.
func (c *conv) documents() ([]*docbridge.Document, error) {
	docOBXs, flags, warnings := c.obxs()
	var measures []*docbridge.Document
	if c.measures && c.event == "" {
		measures = c.measurements()
	}
	if len(docOBXs) == 0 && len(measures) > 0 {
		return measures, nil
	}
	if len(docOBXs) == 0 {
		hint := ""
		if obxs, _ := c.numericOBXs(); len(obxs) > 0 && !c.measures && c.event == "" {
			hint = "; its numeric results are measurements, read only when the sender's source profile turns measurements on (profiles: measurements: true)"
		}
		return nil, docbridge.Errorf(docbridge.UnsupportedFormat,
			"OBX: the %s carries no document: no OBX with OBX-2 ED holding a CDA (^TEXT^XML^Base64^…) or a PDF (^application^pdf^Base64^…) in OBX-5%s",
			clip(c.h.Type(), 24), hint)
	}
	act, w, err := c.action(docOBXs)
	if err != nil {
		return nil, err
	}
	warnings = append(warnings, w...)
	labels, err := labels(flags)
	if err != nil {
		return nil, err
	}
	var docs []*docbridge.Document
	seen := map[string]int{} // uniqueId → OBX occurrence
	for _, d := range docOBXs {
		raw, err := decode(d, act)
		if err != nil {
			return nil, err
		}
		var doc *docbridge.Document
		if d.kind == kindCDA {
			doc, err = c.fromCDA(d, raw, act)
		} else {
			doc, err = c.fromPDF(d, raw, act)
		}
		if err != nil {
			return nil, err
		}
		if d.kind == kindCDA && c.measures {
			ms, err := cda.Measurements(raw, doc.Patient, c.loc)
			if err != nil {
				return nil, errorAt(docbridge.ReasonOf(err), d.at(5, 5), "the embedded CDA's measurements cannot be read: %s", docbridge.MessageOf(err))
			}
			measures = append(measures, ms...)
		}
		doc.SecurityLabels = append(doc.SecurityLabels, labels...)
		for _, w := range warnings {
			doc.AddProblem(docbridge.UnsupportedFormat, docbridge.SeverityWarning, "%s", w)
		}
		if prev, dup := seen[doc.UniqueID]; dup && doc.UniqueID != "" {
			return nil, errorAt(docbridge.Malformed, d.at(5, 5),
				"the document has the same id as the one in %s: each instance (CDA level 1, level 3) must have its own id", ref("OBX", prev, 5, 5))
		}
		seen[doc.UniqueID] = d.seq
		docs = append(docs, doc)
	}
	return append(docs, measures...), nil
}

// fromCDA converts an embedded CDA with convert/cda and applies what the
// message says: the action, and the patient of PID, which must be the
// CDA's and agree with itself.
func (c *conv) fromCDA(d docOBX, raw []byte, act docbridge.Action) (*docbridge.Document, error) {
	docs, err := cda.Convert(raw, c.m, c.loc)
	if err != nil {
		return nil, errorAt(docbridge.ReasonOf(err), d.at(5, 5), "the embedded CDA is refused: %s", docbridge.MessageOf(err))
	}
	doc := docs[0]
	// PID's own problems are the CDA's to report, but for PID disagreeing
	// with itself (two INS, repeated birth identities).
	pid := patient(c.msg, func(code docbridge.Reason, sev docbridge.Severity, format string, args ...any) {
		if code == docbridge.IdentityMismatch && sev == docbridge.SeverityError {
			doc.AddProblem(code, sev, format, args...)
		}
	})
	if msg := samePatient(pid, doc.Patient); msg != "" {
		doc.AddProblem(docbridge.IdentityMismatch, docbridge.SeverityError, "%s", msg)
	}
	if doc.Patient.IdentityStatus == "" {
		doc.Patient.IdentityStatus = pid.IdentityStatus
	}
	txa, hasTXA := c.msg.Segment("TXA")
	if hasTXA {
		if id, ok := uniqueID(txa.Field(12)); ok && id != doc.UniqueID {
			doc.AddProblem(docbridge.Malformed, docbridge.SeverityError,
				"TXA-12: the message names document %s but the embedded CDA's id is %s", clip(id, 80), clip(doc.UniqueID, 80))
		}
	}
	switch {
	case act == docbridge.Create && doc.Action == docbridge.Replace:
		return nil, errorAt(docbridge.Malformed, d.at(11, 0),
			"the message announces a new document but the embedded CDA replaces another (relatedDocument RPLC): the message's action is inconsistent")
	case act == docbridge.Replace && doc.Action != docbridge.Replace:
		doc.Action = docbridge.Replace
		switch parent, ok := uniqueID(txa.Field(13)); {
		case hasTXA && ok:
			doc.Replaces = parent
		case doc.SetID != "" && doc.SetID != doc.UniqueID:
			doc.Replaces = doc.SetID
			doc.AddProblem(docbridge.MissingMetadata, docbridge.SeverityWarning,
				"the message replaces a document but the embedded CDA has no relatedDocument RPLC: the replaced document is taken to be the first version, whose id is the CDA's setId")
		default:
			doc.AddProblem(docbridge.MissingMetadata, docbridge.SeverityError,
				"the message replaces a document but neither the embedded CDA (relatedDocument RPLC, setId) nor TXA-13 names the replaced document")
		}
	case act == docbridge.Delete:
		doc.Action, doc.Replaces = docbridge.Delete, ""
	}
	return doc, nil
}
