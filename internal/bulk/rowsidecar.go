package bulk

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/docbridge/docbridge"
)

// A PDF of the archive with a row in the index and no sidecar file takes
// the row as its sidecar: rowSidecar writes the normalised-document fields the PDF
// converter reads from a sidecar (convert/pdf's Sidecar), from the row and
// from the run's practice profile, and names where each came from in the
// sidecar's "provenance" ("index:<line>", "profile:<name>"), which the
// converter copies into Document.Provenance. The bytes are the input's
// Envelope.Sidecar: stored with the input, so that converting it again,
// later or under `serve`, needs neither the index nor the profile. They
// are deterministic: the same row and profile give the same bytes, and a
// changed row (or profile) a new input.
//
// What the row gives wins over the profile (the author); the profile gives
// what an index cannot (facility type, practice setting, custodian,
// confidentiality, language) and the document type when the row has none.

// specialtyValueSet is the value set of an author's specialty.
const specialtyValueSet = "JDV_J01"

// rpps is the OID of the national health professional identifiers (RPPS
// numbers prefixed with 8, ADELI with 0).
const rpps = "urn:oid:1.2.250.1.71.4.2.1"

type sideCoding struct {
	System string `json:"system,omitempty"`
	Code   string `json:"code"`
}

type sideOrg struct {
	ID     string `json:"id,omitempty"`
	System string `json:"system,omitempty"`
	Name   string `json:"name,omitempty"`
}

type sideAuthor struct {
	ID           string      `json:"id,omitempty"`
	System       string      `json:"system,omitempty"`
	Name         string      `json:"name,omitempty"`
	Specialty    *sideCoding `json:"specialty,omitempty"`
	Organization *sideOrg    `json:"organization,omitempty"`
}

type sidePatient struct {
	INS        string   `json:"ins,omitempty"`
	INSSystem  string   `json:"insSystem,omitempty"`
	BirthName  string   `json:"birthName,omitempty"`
	FirstNames []string `json:"firstNames,omitempty"`
	BirthDate  string   `json:"birthDate,omitempty"`
	Sex        string   `json:"sex,omitempty"`
	BirthPlace string   `json:"birthPlace,omitempty"`
}

// sidecarJSON is the part of convert/pdf's Sidecar a row fills, in its
// JSON names.
type sidecarJSON struct {
	Type            *sideCoding       `json:"type,omitempty"`
	Title           string            `json:"title,omitempty"`
	Creation        string            `json:"creation,omitempty"`
	Language        string            `json:"language,omitempty"`
	Confidentiality string            `json:"confidentiality,omitempty"`
	FacilityType    *sideCoding       `json:"facilityType,omitempty"`
	PracticeSetting *sideCoding       `json:"practiceSetting,omitempty"`
	Patient         sidePatient       `json:"patient"`
	Authors         []sideAuthor      `json:"authors,omitempty"`
	Custodian       *sideOrg          `json:"custodian,omitempty"`
	Provenance      map[string]string `json:"provenance"`
}

// rowSidecar returns the sidecar a PDF takes from its index row r and the
// run's profile p (nil for none), as JSON. codeSystem, when not nil, gives
// the code system of the profile author's specialty (a JDV_J01 code), which
// the converter does not look up.
func rowSidecar(r IndexRow, p *docbridge.Profile, codeSystem func(valueSet, code string) string) []byte {
	idx := "index:" + strconv.Itoa(r.Line)
	prof := ""
	if p != nil {
		prof = "profile:" + p.Name
	}
	s := sidecarJSON{
		Title: r.Title, Creation: r.Creation,
		Patient: sidePatient{INS: r.Patient.INS, INSSystem: r.Patient.INSSystem, BirthName: r.Patient.BirthName,
			FirstNames: r.Patient.FirstNames, BirthDate: r.Patient.BirthDate, Sex: r.Patient.Sex, BirthPlace: r.Patient.BirthPlace},
		Provenance: map[string]string{"patient": idx},
	}
	from := func(field, where, v string) string {
		if v != "" {
			s.Provenance[field] = where
		}
		return v
	}
	from("creation", idx, r.Creation)
	from("title", idx, r.Title)
	switch {
	case r.Type.Code != "":
		s.Type = &sideCoding{System: r.Type.System, Code: from("type", idx, r.Type.Code)}
	case p != nil && p.DocumentType != "":
		s.Type = &sideCoding{Code: from("type", prof, p.DocumentType)}
	}
	var custodian *sideOrg
	if p != nil {
		s.Language = from("language", prof, p.Language)
		s.Confidentiality = from("confidentiality", prof, p.Confidentiality)
		if c := from("facilityType", prof, p.FacilityType); c != "" {
			s.FacilityType = &sideCoding{Code: c}
		}
		if c := from("practiceSetting", prof, p.PracticeSetting); c != "" {
			s.PracticeSetting = &sideCoding{Code: c}
		}
		if p.Custodian != nil && (p.Custodian.ID != "" || p.Custodian.Name != "") {
			custodian = orgOf(*p.Custodian)
			s.Custodian = custodian
			s.Provenance["custodian"] = prof
		}
	}
	switch {
	case r.AuthorID != "" || r.AuthorName != "":
		s.Authors = []sideAuthor{{ID: r.AuthorID, System: systemOf(r.AuthorID, rpps), Name: r.AuthorName, Organization: custodian}}
		s.Provenance["authors"] = idx
	case p != nil && p.Author != nil && (p.Author.ID != "" || p.Author.Name != ""):
		a := sideAuthor{ID: p.Author.ID, System: systemOf(p.Author.ID, rpps), Name: p.Author.Name, Organization: custodian}
		if c := p.Author.Specialty; c != "" {
			a.Specialty = &sideCoding{Code: c}
			if codeSystem != nil {
				a.Specialty.System = codeSystem(specialtyValueSet, c)
			}
		}
		s.Authors = []sideAuthor{a}
		s.Provenance["authors"] = prof
	}
	b, _ := json.Marshal(s) // strings, slices and maps of strings always encode
	return b
}

// orgOf is a profile's organisation as a sidecar writes it: its id
// "root^extension" split into the system urn:oid:root and the extension.
func orgOf(o docbridge.ProfileOrg) *sideOrg {
	if root, ext, ok := strings.Cut(o.ID, "^"); ok {
		return &sideOrg{ID: ext, System: "urn:oid:" + root, Name: o.Name}
	}
	return &sideOrg{ID: o.ID, Name: o.Name}
}

// systemOf is system when id is given, "" otherwise.
func systemOf(id, system string) string {
	if id == "" {
		return ""
	}
	return system
}

// readRowSidecar reads back a sidecar rowSidecar wrote.
func readRowSidecar(b []byte) sidecarJSON {
	var s sidecarJSON
	json.Unmarshal(b, &s) // rowSidecar's own output
	return s
}

// patient is the sidecar's patient.
func (s sidecarJSON) patient() docbridge.Patient {
	p := s.Patient
	return docbridge.Patient{INS: p.INS, INSSystem: p.INSSystem, BirthName: p.BirthName, FirstNames: p.FirstNames,
		BirthDate: p.BirthDate, Sex: p.Sex, BirthPlace: p.BirthPlace}
}
