package cda

import (
	"strings"

	"github.com/beevik/etree"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/mappings"
)

// participants reads the authors (author/assignedAuthor), the legal
// authenticator (legalAuthenticator/assignedEntity) and the custodian
// (custodian/assignedCustodian/representedCustodianOrganization).
func (b *builder) participants(cd *etree.Element) {
	for _, au := range children(cd, "author") {
		aa := child(au, "assignedAuthor")
		if aa == nil {
			continue
		}
		a := person(aa)
		if a.Name == "" {
			if dev := child(aa, "assignedAuthoringDevice"); dev != nil {
				a.Name = text(child(dev, "softwareName"))
				if a.Name == "" {
					a.Name = text(child(dev, "manufacturerModelName"))
				}
			}
		}
		if code, system, display, ok := coded(child(aa, "code")); ok {
			s := &docbridge.Coding{Code: code, Display: display}
			if system != "" {
				s.System = mappings.SystemURI(system)
			}
			a.Specialty = s
		}
		a.Organization = organization(child(aa, "representedOrganization"))
		b.d.Authors = append(b.d.Authors, a)
	}

	if ae := find(cd, "legalAuthenticator", "assignedEntity"); ae != nil {
		a := person(ae)
		a.Organization = organization(child(ae, "representedOrganization"))
		b.d.LegalAuthenticator = &a
	}

	// No author or custodian is decided after the source profile.
	b.d.Custodian = organization(find(cd, "custodian", "assignedCustodian", "representedCustodianOrganization"))
}

// person reads the id and the person name of an assignedAuthor or
// assignedEntity. The id is the first usable id: its extension with the root
// as system, or the root alone when there is no extension.
func person(e *etree.Element) docbridge.Author {
	var a docbridge.Author
	a.ID, a.System = firstID(e)
	a.Name = personName(child(child(e, "assignedPerson"), "name"))
	return a
}

// personName renders a PN as "given … family …", prefixes and suffixes left
// out; an unstructured name is its text.
func personName(n *etree.Element) string {
	if n == nil {
		return ""
	}
	var given, family []string
	for _, t := range n.Child {
		c, ok := t.(*etree.Element)
		if !ok || !v3(c) {
			continue
		}
		switch c.Tag {
		case "given":
			given = append(given, text(c))
		case "family":
			family = append(family, text(c))
		}
	}
	if len(given)+len(family) == 0 {
		return text(n)
	}
	return strings.Join(strings.Fields(strings.Join(append(given, family...), " ")), " ")
}

// organization reads an organisation's first usable id and its name; nil
// when it has neither.
func organization(e *etree.Element) *docbridge.Organization {
	if e == nil {
		return nil
	}
	var o docbridge.Organization
	o.ID, o.System = firstID(e)
	o.Name = text(child(e, "name"))
	if o.ID == "" && o.Name == "" {
		return nil
	}
	return &o
}

// firstID returns e's first usable id: its extension with the root as
// system, or the root alone (and no system) when there is no extension.
func firstID(e *etree.Element) (id, system string) {
	for _, idEl := range children(e, "id") {
		ii, ok := readII(idEl)
		if !ok {
			continue
		}
		if ii.ext != "" {
			return ii.ext, ii.system()
		}
		return ii.root, ""
	}
	return "", ""
}
