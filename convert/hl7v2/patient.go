package hl7v2

import (
	"slices"
	"strings"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/convert/internal/ident"
	"github.com/docbridge/docbridge/hl7"
	"github.com/docbridge/docbridge/traits"
)

// patient reads PID (spec §5.3, PAM FR): the INS from the PID-3 repetition
// whose assigning authority (CX.4.2) is an INS OID, other PID-3
// repetitions as local ids, the birth name and first names from the PID-5
// repetition of name type L (XPN.7), the birth date (PID-7), the sex
// (PID-8), the birthplace from the PID-11 repetition of address type BDL
// (XAD.7; INSEE code in XAD.9) and the identity status (PID-32). Problems
// go to add; messages name fields, never values.
func patient(msg *hl7.Message, add func(docbridge.Reason, docbridge.Severity, string, ...any)) docbridge.Patient {
	var p docbridge.Patient
	pid, ok := msg.Segment("PID")
	if !ok {
		add(docbridge.MissingINS, docbridge.SeverityError, "PID: the message has no PID segment: the patient cannot be identified")
		return p
	}
	insCount := 0
	for _, rep := range pid.Field(3).Reps() {
		value := traits.NormINS(rep.Comp(1).Text())
		authority := rep.Comp(4)
		oid := authority.Sub(2).Text()
		switch {
		case value == "":
		case slices.Contains(traits.INSOIDs, oid):
			switch system := "urn:oid:" + oid; {
			case p.INS == "":
				p.INS, p.INSSystem = value, system
				insCount++
			case p.INS == value && p.INSSystem == system:
			default:
				p.LocalIDs = append(p.LocalIDs, docbridge.Identifier{System: system, Value: value})
				insCount++
			}
		case ident.IsOID(oid):
			p.LocalIDs = append(p.LocalIDs, docbridge.Identifier{System: "urn:oid:" + oid, Value: value})
		case authority.Sub(1).Text() != "":
			p.LocalIDs = append(p.LocalIDs, docbridge.Identifier{System: authority.Sub(1).Text(), Value: value})
		}
	}
	if insCount > 1 {
		add(docbridge.IdentityMismatch, docbridge.SeverityError, "PID-3: %d different INS are given: docbridge cannot tell which one identifies the patient", insCount)
	}
	if p.INS == "" {
		add(docbridge.MissingINS, docbridge.SeverityError, "PID-3: no repetition has an INS assigning authority (CX.4.2 %s): the patient cannot be identified", "1.2.250.1.213.1.4.8, .9, .10 or .11")
	}
	birthName(pid, &p, add)

	switch d, err := parseDTM(pid.Field(7).Comp(1).Text(), time.UTC); {
	case pid.Field(7).IsEmpty():
		missingTrait(add, "birth date", "PID-7 is empty")
	case err != nil || len(pid.Field(7).Comp(1).Text()) < 8:
		missingTrait(add, "birth date", "PID-7 is not a valid date")
	default:
		p.BirthDate = d.Value[:10]
	}

	switch sex := strings.ToUpper(pid.Field(8).Text()); sex {
	case "M", "F", "U":
		p.Sex = sex
	case "":
		missingTrait(add, "sex", "PID-8 is empty")
	default:
		missingTrait(add, "sex", "PID-8 is not one of M, F, U")
	}

	for _, rep := range pid.Field(11).Reps() {
		if strings.EqualFold(rep.Comp(7).Text(), "BDL") {
			p.BirthPlace = strings.Join(strings.Fields(rep.Comp(9).Text()), "")
			break
		}
	}
	if p.BirthPlace == "" {
		missingTrait(add, "birthplace (INSEE code)", "PID-11 has no repetition of address type BDL (XAD.7) with an INSEE code (XAD.9)")
	}
	if diff := repeatedTraits(pid); len(diff) > 0 {
		add(docbridge.IdentityMismatch, docbridge.SeverityError,
			"PID-5 (name type L) or PID-11 (address type BDL) is repeated with different %s: docbridge cannot tell which is the patient's", strings.Join(diff, ", "))
	}
	p.IdentityStatus = strings.ToUpper(pid.Field(32).Comp(1).Text())
	return p
}

// birthName reads PID-5: the repetition with name type L, else a single
// repetition without type (with a warning).
func birthName(pid hl7.Segment, p *docbridge.Patient, add func(docbridge.Reason, docbridge.Severity, string, ...any)) {
	reps := pid.Field(5).Reps()
	var birth hl7.Value
	found := false
	for _, r := range reps {
		if strings.EqualFold(r.Comp(7).Text(), "L") {
			birth, found = r, true
			break
		}
	}
	if !found && len(reps) == 1 && reps[0].Comp(7).IsEmpty() {
		birth, found = reps[0], true
		add(docbridge.MissingTrait, docbridge.SeverityWarning, "PID-5: the birth name was taken from the only name, which has no name type; the source should mark it L (XPN.7)")
	}
	if !found {
		missingTrait(add, "birth name", "PID-5 has no repetition of name type L (XPN.7)")
		missingTrait(add, "birth first names", "PID-5 has no repetition of name type L (XPN.7)")
		return
	}
	p.BirthName = birth.Comp(1).Sub(1).Text()
	if p.BirthName == "" {
		missingTrait(add, "birth name", "PID-5.1 is empty")
	}
	list := strings.FieldsFunc(birth.Comp(3).Text(), func(r rune) bool { return r == ' ' || r == ',' })
	first := birth.Comp(2).Text()
	switch {
	case len(list) > 0:
		p.FirstNames = list
		if first != "" && !strings.EqualFold(first, list[0]) {
			add(docbridge.IdentityMismatch, docbridge.SeverityWarning,
				"PID-5: the first birth first name (XPN.2) is not the first of the birth first names (XPN.3): check the patient's identity in the source")
		}
	case first != "":
		p.FirstNames = []string{first}
		add(docbridge.MissingTrait, docbridge.SeverityWarning,
			"PID-5.3 (the full list of birth first names) is empty; only the first birth first name (PID-5.2) was found")
	default:
		missingTrait(add, "birth first names", "PID-5.2 and PID-5.3 are empty")
	}
}

func missingTrait(add func(docbridge.Reason, docbridge.Severity, string, ...any), trait, why string) {
	add(docbridge.MissingTrait, docbridge.SeverityError, "the INS trait %q is missing: %s", trait, why)
}
