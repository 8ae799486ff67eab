package cda

import (
	"strings"

	"github.com/beevik/etree"

	"github.com/docbridge/docbridge/convert/internal/ident"
)

// ii is an HL7 v3 instance identifier (II): root plus optional extension.
type ii struct {
	root, ext string
}

// readII reads an II element. ok is false when e is missing, has a
// nullFlavor, or has no root.
func readII(e *etree.Element) (ii, bool) {
	if e == nil || hasAttr(e, "nullFlavor") {
		return ii{}, false
	}
	id := ii{root: attr(e, "root"), ext: attr(e, "extension")}
	return id, id.root != ""
}

// uniqueID is the docbridge uniqueId of a document identified by id
// (ClinicalDocument/id, setId, relatedDocument/parentDocument/id).
//
// The convention, from docs/sources.md §2 ("ClinicalDocument/id
// (@root [+ ^@extension])") and §4.4:
//   - root only, an OID:   "urn:oid:<root>"              (PDSm masterIdentifier form)
//   - root only, a UUID:   "urn:uuid:<root in lower case>"
//   - root and extension:  "<root>^<extension>"          (the XDS uniqueId form
//     OID^extension; it is kept as the source wrote it, and flagged nothing:
//     the same CDA always yields the same uniqueId, which is what idempotency
//     needs)
//
// ok is false when the root alone is neither an OID nor a UUID; the root is
// then returned as is, for the message.
func (id ii) uniqueID() (string, bool) {
	switch {
	case id.ext != "":
		return id.root + "^" + id.ext, true
	case ident.IsOID(id.root):
		return "urn:oid:" + id.root, true
	case ident.IsUUID(id.root):
		return "urn:uuid:" + strings.ToLower(id.root), true
	}
	return id.root, false
}

// system is the identifier system of an II's root, for ids whose value is
// the extension: "urn:oid:<root>" for an OID, the root itself otherwise.
func (id ii) system() string {
	if ident.IsOID(id.root) {
		return "urn:oid:" + id.root
	}
	return id.root
}
