package hl7v2

import (
	"slices"
	"strings"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/hl7"
	"github.com/docbridge/docbridge/traits"
)

// samePatient compares the identity PID gives with the embedded CDA's
// recordTarget, the two sources of one document's patient, and returns the
// problem's message when they differ, or "". Every trait both give (the
// INS and its system, birth name, birth first names, birth date, sex,
// birthplace) must be the same after normalisation (traits.Disagree); the
// message names the traits, never their values. A PID that gives only the
// first birth first name (PID-5.2, PID-5.3 empty) agrees with a CDA whose
// list starts with it.
func samePatient(pid, cda docbridge.Patient) string {
	diff := traits.Disagree(pid, cda)
	if i := slices.Index(diff, traits.FirstNames); i >= 0 && len(pid.FirstNames) == 1 && len(cda.FirstNames) > 1 &&
		traits.Normalize(pid.FirstNames[0]) == traits.Normalize(cda.FirstNames[0]) {
		diff = append(diff[:i], diff[i+1:]...)
	}
	if len(diff) == 0 {
		return ""
	}
	return "PID and the embedded CDA's recordTarget give different " + strings.Join(diff, ", ") +
		": the message and its document name different patients, or one of them is wrong; correct it at the source and send the message again"
}

// repeatedTraits returns the traits that repetitions of PID give twice
// with different values (traits.Disagree): the birth name and first names
// of each PID-5 repetition of name type L (XPN.7), the INSEE code of each
// PID-11 repetition of address type BDL (XAD.7). patient reads the first
// of each; a second one that disagrees is a second source of the trait.
func repeatedTraits(pid hl7.Segment) []string {
	var seen []docbridge.Patient
	for _, rep := range pid.Field(5).Reps() {
		if strings.EqualFold(rep.Comp(7).Text(), "L") {
			seen = append(seen, docbridge.Patient{BirthName: rep.Comp(1).Sub(1).Text(),
				FirstNames: strings.FieldsFunc(rep.Comp(3).Text(), func(r rune) bool { return r == ' ' || r == ',' })})
		}
	}
	for _, rep := range pid.Field(11).Reps() {
		if strings.EqualFold(rep.Comp(7).Text(), "BDL") {
			seen = append(seen, docbridge.Patient{BirthPlace: strings.Join(strings.Fields(rep.Comp(9).Text()), "")})
		}
	}
	var out []string
	for i := range seen {
		for j := i + 1; j < len(seen); j++ {
			for _, t := range traits.Disagree(seen[i], seen[j]) {
				if !slices.Contains(out, t) {
					out = append(out, t)
				}
			}
		}
	}
	return out
}
