package mes

import (
	"strings"

	"github.com/docbridge/docbridge"
)

// The FHIR R4 pieces of the mes-api DocumentReference. They are local
// structs rather than samply's types: samply drops "contained", and its
// enums make a forgotten field a valid code; these render exactly what is
// set and nothing else.

type fhirCoding struct {
	System  string `json:"system,omitempty"`
	Code    string `json:"code"`
	Display string `json:"display,omitempty"`
}

type fhirConcept struct {
	Coding []fhirCoding `json:"coding"`
}

type fhirIdentifier struct {
	Use    string `json:"use,omitempty"`
	System string `json:"system,omitempty"`
	Value  string `json:"value"`
}

type fhirReference struct {
	Reference  string          `json:"reference,omitempty"`
	Identifier *fhirIdentifier `json:"identifier,omitempty"`
	Display    string          `json:"display,omitempty"`
}

type fhirPeriod struct {
	Start string `json:"start,omitempty"`
	End   string `json:"end,omitempty"`
}

type fhirContext struct {
	FacilityType    *fhirConcept `json:"facilityType,omitempty"`
	PracticeSetting *fhirConcept `json:"practiceSetting,omitempty"`
	Period          *fhirPeriod  `json:"period,omitempty"`
	// SourcePatientInfo refers to the contained Patient (pdsm-iti65 only).
	SourcePatientInfo *fhirReference `json:"sourcePatientInfo,omitempty"`
}

type fhirRelatesTo struct {
	Code   string        `json:"code"`
	Target fhirReference `json:"target"`
}

type fhirMeta struct {
	Profile []string `json:"profile"`
}

// concept returns c as a CodeableConcept, or nil when c has no code.
func concept(c docbridge.Coding) *fhirConcept {
	if c.IsZero() {
		return nil
	}
	return &fhirConcept{Coding: []fhirCoding{{System: c.System, Code: c.Code, Display: c.Display}}}
}

// oidURI returns system as a URI: a bare OID gets the "urn:oid:" prefix.
func oidURI(system string) string {
	if system == "" || strings.Contains(system, ":") {
		return system
	}
	return "urn:oid:" + system
}

// actor returns a logical reference to a person or organisation by its
// national identifier and name ("contained" is not in MES's public
// description), and false when there is nothing to refer to.
func actor(id, system, name string) (fhirReference, bool) {
	r := fhirReference{Display: name}
	if id != "" {
		r.Identifier = &fhirIdentifier{System: oidURI(system), Value: id}
	}
	return r, id != "" || name != ""
}

// authorRef refers to an author by its own id and name, or to its
// organisation when the author has neither.
func authorRef(a docbridge.Author) (fhirReference, bool) {
	if r, ok := actor(a.ID, a.System, a.Name); ok {
		return r, true
	}
	if a.Organization != nil {
		return actor(a.Organization.ID, a.Organization.System, a.Organization.Name)
	}
	return fhirReference{}, false
}

// subject refers to the paired patient at MES, identified by the document's
// INS; with no pairing, the reference is a placeholder.
func subject(d *docbridge.Document, p *docbridge.Pairing) fhirReference {
	r := fhirReference{Reference: placeholderSubject}
	if p != nil {
		r.Reference = "Patient/" + p.MESPatient
	}
	if d.Patient.INS != "" {
		r.Identifier = &fhirIdentifier{System: oidURI(d.Patient.INSSystem), Value: d.Patient.INS}
	}
	return r
}

// docContext returns DocumentReference.context, or nil when d has none.
func docContext(d *docbridge.Document) *fhirContext {
	c := fhirContext{FacilityType: concept(d.FacilityType), PracticeSetting: concept(d.PracticeSetting)}
	if d.ServiceStart != "" || d.ServiceStop != "" {
		c.Period = &fhirPeriod{Start: d.ServiceStart, End: d.ServiceStop}
	}
	if c.FacilityType == nil && c.PracticeSetting == nil && c.Period == nil {
		return nil
	}
	return &c
}

// uniqueIdentifier renders a docbridge uniqueId as a FHIR Identifier: a
// "urn:oid:…" or "urn:uuid:…" id is a URI (system urn:ietf:rfc:3986); an
// OID root with an extension ("<root>^<ext>", the XDS form) is the extension
// in the root's system, as FHIR writes an HL7 v3 II.
func uniqueIdentifier(uid string) fhirIdentifier {
	if root, ext, ok := strings.Cut(uid, "^"); ok && !strings.HasPrefix(uid, "urn:") {
		return fhirIdentifier{System: "urn:oid:" + root, Value: ext}
	}
	return fhirIdentifier{System: systemURI, Value: uid}
}

func ptr[T any](v T) *T { return &v }

// securityLabels are the document's confidentiality code (HL7 v3) followed
// by its extra labels, such as the TRE_A07 visibility codes an HL7 v2
// sender asked for (MASQUE_PS, INVISIBLE_PATIENT, …).
func securityLabels(d *docbridge.Document) []fhirConcept {
	var out []fhirConcept
	if d.Confidentiality != "" {
		out = append(out, fhirConcept{Coding: []fhirCoding{{System: systemConfidentiality, Code: d.Confidentiality}}})
	}
	for _, l := range d.SecurityLabels {
		out = append(out, fhirConcept{Coding: []fhirCoding{{System: oidURI(l.System), Code: l.Code, Display: l.Display}}})
	}
	return out
}
