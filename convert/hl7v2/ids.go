package hl7v2

import (
	"crypto/sha1"
	"fmt"
	"strings"

	"github.com/docbridge/docbridge/convert/internal/ident"
	"github.com/docbridge/docbridge/hl7"
)

// uniqueID reads an EI (TXA-12, TXA-13, OBR-3) as a docbridge uniqueId, in
// the forms the ANS examples use (spec §7.2):
//   - "ext^^root^ISO" (EI.1 an extension, EI.3 an OID): "root^ext", the XDS form;
//   - "<OID>^<namespace>" (EI.1 a full OID): "urn:oid:<OID>";
//   - EI.1 a UUID: "urn:uuid:<uuid>".
//
// ok is false for an EI without a global identity (a local number with no
// OID); the caller may then derive one (derivedID).
func uniqueID(v hl7.Value) (string, bool) {
	id, root := v.Comp(1).Text(), v.Comp(3).Text()
	switch {
	case id == "":
		return "", false
	case root != "" && ident.IsOID(root):
		return root + "^" + id, true
	case ident.IsOID(id):
		return "urn:oid:" + id, true
	case ident.IsUUID(id):
		return "urn:uuid:" + strings.ToLower(id), true
	}
	return "", false
}

// derivedID makes a stable urn:uuid (a name-based UUID, version 5 layout)
// from the sending facility and a local identifier: the same report sent
// again gets the same uniqueId (docs/architecture.md §7).
func derivedID(facility, local string) string {
	h := sha1.Sum([]byte("docbridge:hl7v2:" + facility + "|" + local))
	h[6] = h[6]&0x0f | 0x50
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("urn:uuid:%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}
