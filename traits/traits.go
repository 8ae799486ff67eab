// Package traits holds the one rule by which two statements of a patient's
// identity are compared (docs/architecture.md §8): the INS, its system and the five
// strict traits, after normalisation for comparison only. internal/identity
// compares a document with the paired identity through it; the converters
// compare the two sources of one document (a sidecar and a file name, PID
// and the embedded CDA, a FHIR subject and sourcePatientInfo) through it.
// It imports only the root package, the standard library and x/text.
package traits

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/docbridge/docbridge"
)

// Normalize returns s in the form used to compare identity traits, and only
// to compare them: upper case, accents removed, hyphens and apostrophes read
// as spaces, runs of spaces collapsed, trimmed. "Marie-Anne d’Arc" and
// "MARIE ANNE D ARC" compare equal. Bytes that are not UTF-8 read as
// U+FFFD. The stored and sent traits are never normalised.
func Normalize(s string) string {
	var b strings.Builder
	space := false
	for _, r := range norm.NFD.String(strings.ToValidUTF8(s, "\uFFFD")) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case r == '-' || r == '\'' || r == '’' || r == '‘' || r == 'ʼ' || unicode.IsSpace(r):
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteString(strings.ToUpper(string(r)))
	}
	return b.String()
}

// Names returns birth first names as one string, separated by spaces.
func Names(names []string) string { return strings.Join(names, " ") }

// OID returns an OID system as "urn:oid:…", whichever way it was written.
func OID(system string) string {
	if system == "" || strings.HasPrefix(system, "urn:oid:") {
		return system
	}
	return "urn:oid:" + system
}

// The names of the compared traits, as the JSON of docbridge.Patient
// spells them. They carry no patient data.
const (
	INS        = "ins"
	INSSystem  = "insSystem"
	BirthName  = "birthName"
	FirstNames = "firstNames"
	BirthDate  = "birthDate"
	Sex        = "sex"
	BirthPlace = "birthPlace"
)

// Diff is one trait on which two statements of an identity differ, with
// both values as given. It holds patient data: never log it.
type Diff struct {
	Trait string
	A, B  string
}

// Compare returns the traits on which a and b differ after normalisation,
// in the fixed order INS, INSSystem, BirthName, FirstNames, BirthDate, Sex,
// BirthPlace. A trait one side lacks differs from one the other gives. An
// empty result is an exact match.
func Compare(a, b docbridge.Patient) []Diff {
	var out []Diff
	for _, t := range pairs(a, b) {
		if Normalize(t.A) != Normalize(t.B) {
			out = append(out, t)
		}
	}
	return out
}

// Disagree returns the names of the traits that a and b both give and on
// which they differ after normalisation, in Compare's order: two sources
// of one document's identity that must agree. A trait only one of them
// gives is no disagreement. The names carry no patient data.
func Disagree(a, b docbridge.Patient) []string {
	var out []string
	for _, t := range pairs(a, b) {
		if na, nb := Normalize(t.A), Normalize(t.B); na != "" && nb != "" && na != nb {
			out = append(out, t.Trait)
		}
	}
	return out
}

func pairs(a, b docbridge.Patient) []Diff {
	return []Diff{
		{INS, a.INS, b.INS},
		{INSSystem, OID(a.INSSystem), OID(b.INSSystem)},
		{BirthName, a.BirthName, b.BirthName},
		{FirstNames, Names(a.FirstNames), Names(b.FirstNames)},
		{BirthDate, a.BirthDate, b.BirthDate},
		{Sex, a.Sex, b.Sex},
		{BirthPlace, a.BirthPlace, b.BirthPlace},
	}
}
