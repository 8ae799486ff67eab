package hl7v2

import (
	"strings"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/hl7"
)

// payloadKind is what a document OBX declares it carries.
type payloadKind int

const (
	kindNone payloadKind = iota // not a document OBX
	kindCDA                     // ^TEXT^XML^Base64^ (MDM: ^text^XML^…)
	kindPDF                     // ^application^pdf^Base64^ or ^AP^PDF^Base64^
)

// docOBX is one OBX carrying a document.
type docOBX struct {
	seq  int // occurrence of OBX in the message, 1-based
	seg  hl7.Segment
	kind payloadKind
}

func (o docOBX) at(field, comp int) string { return ref("OBX", o.seq, field, comp) }

// metaFlag is one MetaDMPMSS OBX (spec §7.2): a Y/N flag.
type metaFlag struct {
	seq   int
	name  string // canonical name
	value string // Y or N
}

// metaNames maps the MetaDMPMSS OBX-3.1 codes, including the older volet
// spellings, to their canonical names.
var metaNames = map[string]string{
	"MASQUE_PS":                      "MASQUE_PS",
	"INVISIBLE_PATIENT":              "INVISIBLE_PATIENT",
	"INVISIBLE_REP_LEGAUX":           "INVISIBLE_REP_LEGAUX",
	"INVISIBLE_REPRESENTANTS_LEGAUX": "INVISIBLE_REP_LEGAUX",
	"CONNEXION_SECRETE":              "CONNEXION_SECRETE",
	"MODIF_CONF_CODE":                "MODIF_CONF_CODE",
	"MODIF_CONFIDENTIALITYCODE":      "MODIF_CONF_CODE",
	"DESTDMP":                        "DESTDMP",
	"DESTMSSANTEPS":                  "DESTMSSANTEPS",
	"DESTMSSANTEPAT":                 "DESTMSSANTEPAT",
	"ACK_RECEPTION":                  "ACK_RECEPTION",
	"ACK_LECTURE":                    "ACK_LECTURE_MSS",
	"ACK_LECTURE_MSS":                "ACK_LECTURE_MSS",
	"CORPSMAIL_PS":                   "CORPSMAIL_PS",
	"CORPSMAIL_PATIENT":              "CORPSMAIL_PATIENT",
}

// visibilitySystem is TRE_A07 (the DMP visibility codes in JDV_J08).
const visibilitySystem = "urn:oid:1.2.250.1.213.1.1.4.13"

// visibility maps the MetaDMPMSS visibility flags, when Y, to their TRE_A07
// confidentiality code.
var visibility = map[string]docbridge.Coding{
	"MASQUE_PS":            {System: visibilitySystem, Code: "MASQUE_PS", Display: "Masqué aux professionnels de santé"},
	"INVISIBLE_PATIENT":    {System: visibilitySystem, Code: "INVISIBLE_PATIENT", Display: "Non visible par le patient"},
	"INVISIBLE_REP_LEGAUX": {System: visibilitySystem, Code: "INVISIBLE_REPRESENTANTS_LEGAUX", Display: "Non visible par les représentants légaux du patient"},
}

// obxs sorts the message's OBX segments into document OBX, MetaDMPMSS flags
// and others; it returns warnings for ED OBX it does not send.
func (c *conv) obxs() (docs []docOBX, flags []metaFlag, warnings []string) {
	for i, seg := range c.msg.All("OBX") {
		seq := i + 1
		id := seg.Field(3).Comp(1).Text()
		system := seg.Field(3).Comp(3).Text()
		if name, ok := metaNames[strings.ToUpper(id)]; ok || strings.EqualFold(system, "MetaDMPMSS") {
			if !ok {
				name = strings.ToUpper(id)
			}
			flags = append(flags, metaFlag{seq: seq, name: name, value: strings.ToUpper(seg.Field(5).Comp(1).Text())})
			continue
		}
		if !strings.EqualFold(seg.Field(2).Text(), "ED") {
			continue // a result value, not a document
		}
		v := seg.Field(5)
		typ, sub := strings.ToUpper(v.Comp(2).Text()), strings.ToUpper(v.Comp(3).Text())
		switch {
		case typ == "TEXT" && sub == "XML":
			docs = append(docs, docOBX{seq: seq, seg: seg, kind: kindCDA})
		case (typ == "APPLICATION" || typ == "AP") && sub == "PDF":
			docs = append(docs, docOBX{seq: seq, seg: seg, kind: kindPDF})
		default:
			warnings = append(warnings, ref("OBX", seq, 5, 0)+": an ED value of type "+clip(typ+"/"+sub, 24)+
				" is not a document docbridge sends (a CDA as TEXT/XML or a PDF as application/pdf); it is ignored")
		}
	}
	return docs, flags, warnings
}

// labels turns the MetaDMPMSS flags into security labels. A DESTDMP of N
// (the sender does not address the document to the DMP, which Mon espace
// santé shows) refuses the message.
func labels(flags []metaFlag) ([]docbridge.Coding, error) {
	var out []docbridge.Coding
	for _, f := range flags {
		if f.value != "Y" && f.value != "N" && f.name != "CORPSMAIL_PS" && f.name != "CORPSMAIL_PATIENT" && f.value != "" {
			return nil, errorAt(docbridge.Malformed, ref("OBX", f.seq, 5, 1),
				"the MetaDMPMSS flag %s is %q, not Y or N", f.name, clip(f.value, 8))
		}
		if f.name == "DESTDMP" && f.value == "N" {
			return nil, errorAt(docbridge.UnsupportedFormat, ref("OBX", f.seq, 5, 1),
				"the MetaDMPMSS flag DESTDMP is N: the sender does not address this document to the DMP / Mon espace santé, and docbridge delivers nowhere else")
		}
		if c, ok := visibility[f.name]; ok && f.value == "Y" {
			out = append(out, c)
		}
	}
	return out, nil
}
