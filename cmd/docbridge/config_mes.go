package main

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/docbridge/docbridge/mes"
)

// oidPattern matches a bare OID.
var oidPattern = regexp.MustCompile(`^[0-2](\.(0|[1-9][0-9]*))+$`)

// checkProfile checks mes.profile and what it needs: pdsm-iti65 needs
// mes.source_id, an OID ("1.2.250…" or "urn:oid:1.2.250…").
func (m MESConfig) checkProfile() []error {
	var errs []error
	switch m.Profile {
	case mes.ProfileMESAPI, mes.ProfilePDSm:
	default:
		errs = append(errs, fmt.Errorf("mes.profile: %q is not %s or %s", m.Profile, mes.ProfileMESAPI, mes.ProfilePDSm))
	}
	switch {
	case m.SourceID != "" && !oidPattern.MatchString(strings.TrimPrefix(m.SourceID, "urn:oid:")):
		errs = append(errs, fmt.Errorf("mes.source_id: %q is not an OID", m.SourceID))
	case m.SourceID == "" && m.Profile == mes.ProfilePDSm:
		errs = append(errs, fmt.Errorf("mes.source_id: required by the %s profile: this installation's OID as a document source (the SubmissionSet's sourceId), under your organisation's OID root", mes.ProfilePDSm))
	}
	return errs
}
