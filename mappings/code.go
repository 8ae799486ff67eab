package mappings

import (
	"slices"
	"strings"

	"github.com/docbridge/docbridge"
)

// Code returns the national coding of value set vs whose code is code, in
// whatever code system it belongs to, as configuration writes codes (a
// source profile's "SA25", "G15_10/SM54", "11502-2"). When no member has
// that code, a local code of local-codes.yaml with that code (in any local
// system) gives the national coding it is mapped to. It returns false for
// an unknown value set, an unknown code, or a code that two systems of vs
// (or two local systems) hold with different meanings: such a code must be
// written with its system.
func (s *Set) Code(vs, code string) (docbridge.Coding, bool) {
	v := s.set(vs)
	code = strings.TrimSpace(code)
	if v == nil || code == "" {
		return docbridge.Coding{}, false
	}
	var found []docbridge.Coding
	for k, d := range v.display {
		if k.code == code {
			found = append(found, docbridge.Coding{System: k.system, Code: k.code, Display: d})
		}
	}
	if len(found) == 0 {
		for k, c := range s.local[v.name] {
			if k.code == code && !slices.Contains(found, c) {
				found = append(found, c)
			}
		}
	}
	if len(found) != 1 {
		return docbridge.Coding{}, false
	}
	return found[0], true
}
