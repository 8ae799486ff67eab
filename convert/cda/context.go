package cda

import (
	"github.com/beevik/etree"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/mappings"
)

// context reads the context metadata: the healthcare facility type (JDV_J02)
// from the encompassing encounter, the practice setting (JDV_J04) and the
// service period from the documented service event.
func (b *builder) context(cd *etree.Element) {
	fac := find(cd, "componentOf", "encompassingEncounter", "location", "healthCareFacility", "code")
	b.d.FacilityType, _ = b.lookup(fac, mappings.FacilityTypes,
		"componentOf/encompassingEncounter/location/healthCareFacility/code", "healthcare facility type")

	ps := find(cd, "documentationOf", "serviceEvent", "performer", "assignedEntity",
		"representedOrganization", "standardIndustryClassCode")
	b.d.PracticeSetting, _ = b.lookup(ps, mappings.PracticeSettings,
		"documentationOf/serviceEvent/performer/assignedEntity/representedOrganization/standardIndustryClassCode",
		"practice setting")

	et := find(cd, "documentationOf", "serviceEvent", "effectiveTime")
	if et == nil {
		b.warnf(docbridge.MissingMetadata,
			"documentationOf/serviceEvent/effectiveTime is missing: the service period is left out")
		return
	}
	start := child(et, "low")
	if start == nil && attr(et, "value") != "" {
		start = et
	}
	b.d.ServiceStart = b.serviceTime(start, "documentationOf/serviceEvent/effectiveTime/low")
	b.d.ServiceStop = b.serviceTime(child(et, "high"), "documentationOf/serviceEvent/effectiveTime/high")
	if b.d.ServiceStart == "" {
		b.warnf(docbridge.MissingMetadata,
			"documentationOf/serviceEvent/effectiveTime/low is missing: the service period has no start")
	}
}

// serviceTime reads one bound of the service period; an invalid value is a
// warning and reads as "".
func (b *builder) serviceTime(e *etree.Element, path string) string {
	v := attr(e, "value")
	if v == "" {
		return ""
	}
	ts, err := parseTS(v, b.loc)
	if err != nil {
		b.warnf(docbridge.MissingMetadata, "%s/@value is not a valid HL7 timestamp (%v): it is left out", path, err)
		return ""
	}
	return ts.Value
}
