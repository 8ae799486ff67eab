package identity

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/traits"
)

// Options are the identity rules an operator chooses.
type Options struct {
	Environment Environment
	// AcceptVALI accepts the identity status VALI as qualified, for older
	// PAM FR feeds that send VALI with an INS (spec §5.4). QUAL is always
	// accepted.
	AcceptVALI bool
}

// Check returns the problems of a document's patient identity that do not
// depend on any pairing: INS missing or invalid, a strict trait missing, an
// unqualified identity status. Every problem has severity error.
func Check(p docbridge.Patient, o Options) []docbridge.Problem {
	return check(p, o, false)
}

// check is Check, leaving out the missing traits when reported (a
// converter already reported them).
func check(p docbridge.Patient, o Options, reported bool) []docbridge.Problem {
	var out []docbridge.Problem
	add := func(code docbridge.Reason, msg string) {
		out = append(out, docbridge.Problem{Code: code, Severity: docbridge.SeverityError, Message: msg})
	}
	if p.INS == "" {
		add(docbridge.MissingINS, "the document carries no INS: the patient's INS must be in the source (CDA recordTarget, PID-3)")
	} else {
		for _, err := range []error{checkValue(p.INS), checkSystem(p.INSSystem, o.Environment)} {
			if err != nil {
				add(docbridge.ReasonOf(err), docbridge.MessageOf(err))
			}
		}
	}
	if !reported {
		for _, t := range missingTraits(p) {
			add(docbridge.MissingTrait, "the strict identity trait "+t+" is missing: the INS may not be used without all five traits")
		}
	}
	switch p.IdentityStatus {
	case "", "QUAL":
	case "VALI":
		if !o.AcceptVALI {
			add(docbridge.IdentityUnqualified, "the source says the identity is VALI (validated, not qualified); set identity.accept_vali for legacy PAM FR feeds")
		}
	default:
		add(docbridge.IdentityUnqualified, "the source says the identity is "+p.IdentityStatus+", not qualified (QUAL)")
	}
	return out
}

// Incomplete returns nil when p has an INS of valid form (length and
// check key) and all five strict traits, and otherwise the
// *docbridge.Error no person's decision can settle, for the first thing
// lacking: MissingINS, INSInvalid, or MissingTrait naming every missing
// trait (never a value). The source must be fixed. Matching and review
// decisions both apply it, whatever review a document comes from.
func Incomplete(p docbridge.Patient) error {
	if p.INS == "" {
		return docbridge.Errorf(docbridge.MissingINS, "the document carries no INS: it cannot be matched to a pairing; fix the source and send the document again")
	}
	if err := checkValue(p.INS); err != nil {
		return err
	}
	if missing := missingTraits(p); len(missing) > 0 {
		return docbridge.Errorf(docbridge.MissingTrait,
			"the strict identity traits %s are missing: the INS may not be used without all five, and no decision can supply them; fix the source and send the document again",
			strings.Join(missing, ", "))
	}
	return nil
}

func missingTraits(p docbridge.Patient) []string {
	var out []string
	if traits.Normalize(p.BirthName) == "" {
		out = append(out, "birth name")
	}
	if traits.Normalize(traits.Names(p.FirstNames)) == "" {
		out = append(out, "birth first names")
	}
	if p.BirthDate == "" {
		out = append(out, "birth date")
	}
	if p.Sex == "" {
		out = append(out, "sex")
	}
	if p.BirthPlace == "" {
		out = append(out, "birthplace (INSEE code)")
	}
	return out
}

// CheckDocument returns Check's problems for the document's patient, plus
// an INSInvalid problem for each author or legal authenticator identified
// by an INS whose value is invalid (a patient who authored or signed the
// document is identified by their INS). A missing trait that the
// converter already reported as an error is not reported again: the
// converters name it as Check does, quoted (`the INS trait "birth date" is
// missing: …`), so that a person sees each missing trait once.
func CheckDocument(d *docbridge.Document, o Options) []docbridge.Problem {
	// Every converter checks the five traits itself and reports each
	// missing one where the source should carry it: when it did, the
	// document already stops for missing-trait, and listing the traits
	// again here would say each one twice.
	reported := slices.ContainsFunc(d.Problems, func(p docbridge.Problem) bool {
		return p.Code == docbridge.MissingTrait && p.Severity == docbridge.SeverityError
	})
	out := check(d.Patient, o, reported)
	people := map[string]*docbridge.Author{"legal authenticator": d.LegalAuthenticator}
	for i := range d.Authors {
		people[fmt.Sprintf("author %d", i+1)] = &d.Authors[i]
	}
	for _, role := range slices.Sorted(maps.Keys(people)) {
		a := people[role]
		if a == nil || !traits.IsINSSystem(a.System) {
			continue
		}
		if err := checkValue(a.ID); err != nil {
			out = append(out, docbridge.Problem{Code: docbridge.INSInvalid, Severity: docbridge.SeverityError,
				Message: "the " + role + " is identified by an invalid INS: " + docbridge.MessageOf(err)})
		}
	}
	return out
}
