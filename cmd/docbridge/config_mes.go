package main

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/mappings"
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

// scopeNames are the MES scopes mes.scopes may list.
var scopeNames = []string{docbridge.ScopeDocuments, docbridge.ScopeMeasurements, docbridge.ScopeAgenda}

// checkMeasures checks mes.scopes (known names, each once),
// mes.measure_profiles (known profile names, absolute URLs), and the OIDs
// of mes.device_oid and mes.subject_system.
func (m MESConfig) checkMeasures() []error {
	var errs []error
	seen := map[string]bool{}
	for _, s := range m.Scopes {
		switch {
		case !slices.Contains(scopeNames, s):
			errs = append(errs, fmt.Errorf("mes.scopes: %q is not a MES scope (%s)", s, strings.Join(scopeNames, ", ")))
		case seen[s]:
			errs = append(errs, fmt.Errorf("mes.scopes: %q is listed twice", s))
		}
		seen[s] = true
	}
	for name, url := range m.MeasureProfiles {
		if _, ok := mappings.MeasureProfileNamed(name); !ok {
			errs = append(errs, fmt.Errorf("mes.measure_profiles: %q is not a Mesures profile docbridge sends (body-weight, bp, glucose, …; see the README)", name))
		} else if !strings.HasPrefix(url, "http://") && !strings.HasPrefix(url, "https://") {
			errs = append(errs, fmt.Errorf("mes.measure_profiles.%s: %q is not an absolute http(s) canonical URL", name, url))
		}
	}
	if m.DeviceOID != "" && !oidPattern.MatchString(strings.TrimPrefix(m.DeviceOID, "urn:oid:")) {
		errs = append(errs, fmt.Errorf("mes.device_oid: %q is not an OID", m.DeviceOID))
	}
	if m.SubjectSystem != "" && !oidPattern.MatchString(strings.TrimPrefix(m.SubjectSystem, "urn:oid:")) {
		errs = append(errs, fmt.Errorf("mes.subject_system: %q is not an OID", m.SubjectSystem))
	}
	return errs
}

// pairingScopes are the scopes the pairing flow asks for: documents, then
// those of mes.scopes.
func (m MESConfig) pairingScopes() []string {
	out := []string{docbridge.ScopeDocuments}
	for _, s := range m.Scopes {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// measureCanonicals are the current IG's canonicals with
// mes.measure_profiles over them.
func (m MESConfig) measureCanonicals() map[string]string {
	out := mappings.DefaultMeasureCanonicals()
	maps.Copy(out, m.MeasureProfiles)
	return out
}
