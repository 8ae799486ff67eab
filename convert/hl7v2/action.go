package hl7v2

import (
	"strings"

	"github.com/docbridge/docbridge"
)

// The action table of the CDA transmission volet (spec §7.2): ORC-1, OBX-11
// and, for MDM, the trigger event must agree.
//
//	action   ORC-1  OBX-11  MDM event
//	create   NW     F       T02
//	replace  RO     C       T10
//	delete   CA     D       T04
var (
	orderControl = map[string]docbridge.Action{"NW": docbridge.Create, "RO": docbridge.Replace, "CA": docbridge.Delete}
	resultStatus = map[string]docbridge.Action{"F": docbridge.Create, "C": docbridge.Replace, "D": docbridge.Delete}
	mdmEvent     = map[string]docbridge.Action{"T02": docbridge.Create, "T10": docbridge.Replace, "T04": docbridge.Delete}
)

// says names an action the way the volet's code does, for messages.
var says = map[docbridge.Action]string{
	docbridge.Create:  "a new document",
	docbridge.Replace: "a replacement",
	docbridge.Delete:  "a deletion",
}

// action decides the message's action and checks that every element that
// says one agrees. It returns warnings for elements it ignores.
func (c *conv) action(docs []docOBX) (docbridge.Action, []string, error) {
	var (
		act      docbridge.Action
		from     string // the element that decided act, for messages
		warnings []string
	)
	// agree records the action a that the element at (whose value is code)
	// says, or refuses it when an earlier element said another.
	agree := func(a docbridge.Action, at, code string) error {
		if act == "" {
			act, from = a, at+" "+code
			return nil
		}
		if a != act {
			return errorAt(docbridge.Malformed, at, "%s (%s) contradicts %s (%s): the message's action is inconsistent",
				code, says[a], from, says[act])
		}
		return nil
	}
	if c.event != "" {
		act, from = mdmEvent[c.event], "the event MDM^"+c.event
	}
	orcs := c.msg.All("ORC")
	for i, orc := range orcs {
		code := strings.ToUpper(orc.Field(1).Text())
		a, ok := orderControl[code]
		switch {
		case ok:
			if err := agree(a, ref("ORC", i+1, 1, 0), code); err != nil {
				return "", nil, err
			}
		case c.event == "":
			return "", nil, errorAt(docbridge.UnsupportedFormat, ref("ORC", i+1, 1, 0),
				"order control %q is not one of the transmission volet (NW new document, RO replacement, CA deletion)", clip(code, 8))
		default:
			warnings = append(warnings, ref("ORC", i+1, 1, 0)+": order control "+clip(code, 8)+
				" is not NW, RO or CA; the event MDM^"+c.event+" decides the action")
		}
	}
	for _, d := range docs {
		status := strings.ToUpper(d.seg.Field(11).Text())
		a, ok := resultStatus[status]
		if !ok {
			return "", nil, errorAt(docbridge.UnsupportedFormat, d.at(11, 0),
				"result status %q: docbridge sends final (F), corrected (C) or deleted (D) documents only", clip(status, 8))
		}
		if err := agree(a, d.at(11, 0), status); err != nil {
			return "", nil, err
		}
	}
	return act, warnings, nil
}
