package cda

import (
	"slices"
	"strings"

	"github.com/beevik/etree"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/traits"
)

// insList names the INS roots in messages.
const insList = "1.2.250.1.213.1.4.8, .9, .10 or .11"

// patient reads recordTarget/patientRole: the INS, the local ids and the five
// strict traits (docs/sources.md §3). It records MissingINS,
// MissingTrait (one problem per trait) and, for a document naming two
// different INS, IdentityMismatch. It never checks the INS key.
//
// Identity status: the CDA R2 header has no element for the RNIV identity
// status and none of the corpus documents carries one, so IdentityStatus is
// left empty (the CI-SIS rule is that an INS is only exchanged for a
// qualified identity).
func (b *builder) patient(cd *etree.Element) {
	rts := children(cd, "recordTarget")
	switch {
	case len(rts) == 0:
		b.errorf(docbridge.MissingINS,
			"ClinicalDocument/recordTarget is missing: the document names no patient")
		return
	case len(rts) > 1:
		b.errorf(docbridge.UnsupportedFormat,
			"the document has %d recordTarget elements; docbridge sends a document for exactly one patient", len(rts))
	}
	role := child(rts[0], "patientRole")
	p := &b.d.Patient

	insCount := 0
	for _, e := range children(role, "id") {
		id, ok := readII(e)
		if !ok {
			continue
		}
		if !slices.Contains(traits.INSOIDs, id.root) {
			if id.ext != "" {
				p.LocalIDs = append(p.LocalIDs, docbridge.Identifier{System: id.system(), Value: id.ext})
			}
			continue
		}
		value := traits.NormINS(id.ext)
		switch {
		case value == "":
			b.errorf(docbridge.MissingINS,
				"recordTarget/patientRole/id with the INS root %s has no extension: the INS value is missing", id.root)
		case p.INS == "":
			p.INS, p.INSSystem = value, "urn:oid:"+id.root
			insCount++
		case p.INS == value && p.INSSystem == "urn:oid:"+id.root:
			// The same INS twice: harmless.
		default:
			// A second, different INS: kept for the reviewer, never used.
			p.LocalIDs = append(p.LocalIDs, docbridge.Identifier{System: "urn:oid:" + id.root, Value: value})
			insCount++
		}
	}
	if insCount > 1 {
		b.errorf(docbridge.IdentityMismatch,
			"recordTarget/patientRole carries %d different INS: docbridge cannot tell which one identifies the patient", insCount)
	}
	if p.INS == "" && !b.hasProblem(docbridge.MissingINS) {
		b.errorf(docbridge.MissingINS,
			"the document carries no INS (recordTarget/patientRole/id with root %s): the patient cannot be identified", insList)
	}

	pat := child(role, "patient")
	b.names(pat)

	switch bt := attr(child(pat, "birthTime"), "value"); {
	case bt == "":
		b.missingTrait("birth date", "recordTarget/patientRole/patient/birthTime/@value is missing")
	default:
		d, err := dateOnly(bt)
		if err != nil {
			b.missingTrait("birth date", "recordTarget/patientRole/patient/birthTime/@value is not a valid date")
			break
		}
		p.BirthDate = d
		if len(d) < len("YYYY-MM-DD") {
			b.warnf(docbridge.MissingTrait,
				"recordTarget/patientRole/patient/birthTime is a partial date (year or month only)")
		}
	}

	switch g := attr(child(pat, "administrativeGenderCode"), "code"); g {
	case "M", "F", "U":
		p.Sex = g
	case "":
		b.missingTrait("sex", "recordTarget/patientRole/patient/administrativeGenderCode/@code is missing")
	default:
		b.missingTrait("sex", "recordTarget/patientRole/patient/administrativeGenderCode/@code is not one of M, F, U")
	}

	p.BirthPlace = strings.Join(strings.Fields(text(find(pat, "birthplace", "place", "addr", "county"))), "")
	if p.BirthPlace == "" {
		b.missingTrait("birthplace (INSEE code)",
			"recordTarget/patientRole/patient/birthplace/place/addr/county is missing")
	}
}

// names reads the birth name and the birth first names from patient/name.
//
// The birth identity is the name element that has a family[@qualifier='BR']
// (a patient may have several names: used, search, …), else the first name;
// a second, different family[@qualifier='BR'] is IdentityMismatch.
// Birth name: that family; failing one, the family of a patient with a single
// family element, which has no qualifier (with a warning). First names: the
// given elements of that name without qualifier, split on spaces (the full
// list of birth first names, "DOMINIQUE MARIE-LOUISE"); failing that,
// given[@qualifier='BR'] (the first birth first name only, with a warning).
func (b *builder) names(pat *etree.Element) {
	p := &b.d.Patient
	names := children(pat, "name")
	var birth *etree.Element
	var families []*etree.Element
	for _, n := range names {
		for _, f := range children(n, "family") {
			families = append(families, f)
			switch {
			case !hasQualifier(f, "BR") || text(f) == "":
			case birth == nil:
				birth, p.BirthName = n, text(f)
			case len(traits.Disagree(docbridge.Patient{BirthName: p.BirthName}, docbridge.Patient{BirthName: text(f)})) > 0 &&
				!b.hasProblem(docbridge.IdentityMismatch):
				// Two birth names: nothing is guessed (docs/architecture.md §8).
				b.errorf(docbridge.IdentityMismatch,
					"recordTarget/patientRole/patient/name gives two different birth names (family qualifier BR): docbridge cannot tell which is the patient's")
			}
		}
	}
	if birth == nil && len(names) > 0 {
		birth = names[0]
	}
	if p.BirthName == "" && len(families) == 1 && !hasAttr(families[0], "qualifier") && text(families[0]) != "" {
		p.BirthName = text(families[0])
		b.warnf(docbridge.MissingTrait,
			"the birth name was taken from patient/name/family without qualifier; the source should mark it qualifier=\"BR\"")
	}
	if p.BirthName == "" {
		b.missingTrait("birth name", "recordTarget/patientRole/patient/name/family[@qualifier='BR'] is missing")
	}

	var first, brFirst []string
	for _, g := range children(birth, "given") {
		switch {
		case !hasAttr(g, "qualifier"):
			first = append(first, strings.Fields(text(g))...)
		case hasQualifier(g, "BR") && brFirst == nil:
			brFirst = strings.Fields(text(g))
		}
	}
	switch {
	case len(first) > 0:
		p.FirstNames = first
		if len(brFirst) > 0 && !strings.EqualFold(strings.Join(brFirst, " "), first[0]) {
			b.warnf(docbridge.IdentityMismatch,
				"the first birth first name (given qualifier BR) is not the first of the birth first names (given without qualifier): check the patient's identity in the source")
		}
	case len(brFirst) > 0:
		p.FirstNames = brFirst
		b.warnf(docbridge.MissingTrait,
			"patient/name/given without qualifier (the full list of birth first names) is missing; only the first birth first name (qualifier BR) was found")
	default:
		b.missingTrait("birth first names",
			"recordTarget/patientRole/patient/name/given is missing")
	}
}

func (b *builder) missingTrait(trait, why string) {
	b.errorf(docbridge.MissingTrait, "the INS trait %q is missing: %s", trait, why)
}

func (b *builder) hasProblem(code docbridge.Reason) bool {
	for _, p := range b.d.Problems {
		if p.Code == code {
			return true
		}
	}
	return false
}
