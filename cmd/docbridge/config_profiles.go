package main

import (
	"errors"
	"fmt"
	"slices"

	"github.com/docbridge/docbridge/convert"
	"github.com/docbridge/docbridge/internal/bulk"
	"github.com/docbridge/docbridge/mappings"
)

// The `profiles:` section is a list of source profiles (docbridge.Profile):
//
//	profiles:
//	  - name: lab
//	    when: {intake: mllp-lab, sending_application: LIS, sending_facility: LABO}
//	    facility_type: SA25
//	    practice_setting: AMBULATOIRE
//	    custodian: {id: "1.2.250.1.71.4.2.2^1999999901", name: Laboratoire}
//	    author: {id: "10000000001", name: Dr Biologiste, specialty: G15_10/SM54}
//	    confidentiality: N
//	    language: fr-FR
//	    document_type: 11502-2
//	    agenda:                  # appointments (SIU, FHIR Appointment): off unless enabled
//	      enabled: true
//	      types: [CS-CARDIO, IRM] # SCH-8.1 or AIS-3.1 codes sent to the agenda; empty: all
//	      establishment: {name: Clinique, address: "1 rue …, 75002 Paris", id: "1.2.250.1.71.4.2.2^1999999901"}
//
// The most specific profile whose every `when` field matches an input
// applies to it (docbridge.Profiles.Select).

// checkProfiles checks what needs no value sets: every profile has a
// unique name, and a when.intake names a configured intake.
func (c *Config) checkProfiles() []error {
	var errs []error
	intakes := c.intakeNames()
	seen := map[string]bool{}
	for i, p := range c.Profiles {
		field := fmt.Sprintf("profiles[%d]", i)
		switch {
		case p.Name == "":
			errs = append(errs, fmt.Errorf("%s.name: required (it names the profile in each document's provenance)", field))
		case seen[p.Name]:
			errs = append(errs, fmt.Errorf("%s.name: %q is used twice", field, p.Name))
		}
		seen[p.Name] = true
		if in := p.When.Intake; in != "" && !slices.Contains(intakes, in) {
			errs = append(errs, fmt.Errorf("%s (%s).when.intake: %q names no configured intake (%v)", field, p.Name, in, intakes))
		}
	}
	return errs
}

// intakeNames are the names an input's intake can have: the folders, the
// MLLP listeners, the FHIR intake when it listens, and bulk runs.
func (c *Config) intakeNames() []string {
	var names []string
	for _, f := range c.Folders {
		names = append(names, f.Name)
	}
	for _, m := range c.MLLP {
		names = append(names, m.Name)
	}
	if c.FHIR.Addr != "" {
		names = append(names, c.FHIR.Name)
	}
	return append(names, bulk.Intake)
}

// checkProfileCodes checks every profile's codes against the national
// value sets (convert.CheckProfile); each error names the profile and the
// field.
func (c *Config) checkProfileCodes(m *mappings.Set) error {
	var errs []error
	for i, p := range c.Profiles {
		if err := convert.CheckProfile(p, m); err != nil {
			errs = append(errs, fmt.Errorf("profiles[%d]: %w", i, err))
		}
	}
	return errors.Join(errs...)
}
