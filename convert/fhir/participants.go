package fhir

import (
	"strings"

	fm "github.com/samply/golang-fhir-models/fhir-models/fhir"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/mappings"
)

// idNatPS is the system of the national health professional identifier
// (RPPS/ADELI IdNat), preferred among a professional's identifiers.
const idNatPS = "urn:oid:1.2.250.1.71.4.2.1"

// authors reads the author references: a Practitioner, PractitionerRole,
// Organization or Device of the input, or a logical reference by
// identifier. An author that cannot be read is a warning; no author at all
// is decided after the source profile.
func (b *builder) authors(refs []fm.Reference, res *resolver, path string) {
	for i := range refs {
		a, ok := b.party(&refs[i], res)
		if !ok {
			b.warnf(docbridge.MissingMetadata,
				"%s.author[%d] is neither in the input (contained or a Bundle entry) nor a reference by identifier: it is left out", path, i)
			continue
		}
		b.d.Authors = append(b.d.Authors, a)
	}
}

// party reads the professional, organisation or device a reference names.
// A Patient or RelatedPerson is not read: their names are patient data.
func (b *builder) party(ref *fm.Reference, res *resolver) (docbridge.Author, bool) {
	if ref == nil {
		return docbridge.Author{}, false
	}
	r, ok := res.resolve(str(ref.Reference))
	if !ok {
		if ref.Identifier != nil && str(ref.Identifier.Value) != "" {
			return docbridge.Author{ID: str(ref.Identifier.Value), System: mappings.SystemURI(str(ref.Identifier.System)), Name: str(ref.Display)}, true
		}
		return docbridge.Author{}, false
	}
	switch r.Type {
	case "Practitioner":
		return practitioner(r.Raw)
	case "PractitionerRole":
		role, err := fm.UnmarshalPractitionerRole(r.Raw)
		if err != nil {
			return docbridge.Author{}, false
		}
		var a docbridge.Author
		a.ID, a.System = firstID(role.Identifier)
		if role.Practitioner != nil {
			if pr, ok := res.resolve(str(role.Practitioner.Reference)); ok && pr.Type == "Practitioner" {
				p, _ := practitioner(pr.Raw)
				a.Name = p.Name
				if p.ID != "" {
					a.ID, a.System = p.ID, p.System
				}
			}
		}
		for i := range role.Specialty {
			if cs := codings(&role.Specialty[i]); len(cs) > 0 {
				s := cs[0]
				s.System = mappings.SystemURI(s.System)
				a.Specialty = &s
				break
			}
		}
		if role.Organization != nil {
			a.Organization = b.organization(role.Organization, res)
		}
		return a, a.ID != "" || a.Name != "" || a.Organization != nil
	case "Organization":
		o := b.organization(ref, res)
		if o == nil {
			return docbridge.Author{}, false
		}
		return docbridge.Author{ID: o.ID, System: o.System, Name: o.Name}, true
	case "Device":
		dev, err := fm.UnmarshalDevice(r.Raw)
		if err != nil {
			return docbridge.Author{}, false
		}
		a := docbridge.Author{}
		a.ID, a.System = firstID(dev.Identifier)
		if len(dev.DeviceName) > 0 {
			a.Name = strings.TrimSpace(dev.DeviceName[0].Name)
		}
		return a, a.ID != "" || a.Name != ""
	}
	return docbridge.Author{}, false
}

// practitioner reads a Practitioner's identifier and name.
func practitioner(raw []byte) (docbridge.Author, bool) {
	p, err := fm.UnmarshalPractitioner(raw)
	if err != nil {
		return docbridge.Author{}, false
	}
	var a docbridge.Author
	a.ID, a.System = firstID(p.Identifier)
	if len(p.Name) > 0 {
		a.Name = personName(p.Name[0])
	}
	return a, a.ID != "" || a.Name != ""
}

// organization reads the Organization a reference names (in the input,
// or by identifier); nil when it has neither identifier nor name.
func (b *builder) organization(ref *fm.Reference, res *resolver) *docbridge.Organization {
	if ref == nil {
		return nil
	}
	var o docbridge.Organization
	if r, ok := res.resolve(str(ref.Reference)); ok && r.Type == "Organization" {
		org, err := fm.UnmarshalOrganization(r.Raw)
		if err != nil {
			return nil
		}
		o.ID, o.System = firstID(org.Identifier)
		o.Name = str(org.Name)
	} else if ref.Identifier != nil {
		o.ID, o.System, o.Name = str(ref.Identifier.Value), mappings.SystemURI(str(ref.Identifier.System)), str(ref.Display)
	}
	if o.ID == "" && o.Name == "" {
		return nil
	}
	return &o
}

// organizationTypes returns the type codings of the Organization a
// reference names, for the facility type (TRE_R02).
func organizationTypes(ref *fm.Reference, res *resolver) []fm.CodeableConcept {
	if ref == nil {
		return nil
	}
	r, ok := res.resolve(str(ref.Reference))
	if !ok || r.Type != "Organization" {
		return nil
	}
	org, err := fm.UnmarshalOrganization(r.Raw)
	if err != nil {
		return nil
	}
	return org.Type
}

// firstID returns the national identifier among ids (IdNat PS, then any
// urn:oid: system), else the first with a value.
func firstID(ids []fm.Identifier) (id, system string) {
	best := -1
	for i, x := range ids {
		if str(x.Value) == "" {
			continue
		}
		sys := mappings.SystemURI(str(x.System))
		switch {
		case sys == idNatPS:
			return str(x.Value), sys
		case best < 0 || (strings.HasPrefix(sys, "urn:oid:") && !strings.HasPrefix(mappings.SystemURI(str(ids[best].System)), "urn:oid:")):
			best = i
		}
	}
	if best < 0 {
		return "", ""
	}
	return str(ids[best].Value), mappings.SystemURI(str(ids[best].System))
}

// personName renders a HumanName as "given … family", or its text.
func personName(n fm.HumanName) string {
	parts := append([]string{}, n.Given...)
	if f := str(n.Family); f != "" {
		parts = append(parts, f)
	}
	if len(parts) == 0 {
		return str(n.Text)
	}
	return strings.Join(strings.Fields(strings.Join(parts, " ")), " ")
}
