package mappings

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/docbridge/docbridge"
)

// required are the value sets a Set must hold for convert/ to work.
var required = []string{TypeCodes, ClassCodes, FormatCodes, FacilityTypes, PracticeSettings, Confidentiality}

// link checks that the merged tables hold what docbridge needs and builds
// the Set's lookup indexes: each concept map's targets are resolved in the
// value set that holds them (ASS_X04 in JDV_J06, ASS_A11 and ASS_12 in
// JDV_J10) so the results carry canonical systems and national displays.
func link(m *merged) (*Set, error) {
	for _, n := range required {
		if m.sets[n] == nil {
			return nil, fmt.Errorf("link: no value set %s loaded", n)
		}
	}
	s := &Set{sets: m.sets, alias: m.alias}

	classes, err := m.linkMap(typeToClass, ClassCodes)
	if err != nil {
		return nil, err
	}
	s.classOf = make(map[conceptKey]docbridge.Coding, len(classes))
	for src, dsts := range classes {
		if len(dsts) == 1 {
			s.classOf[src] = dsts[0]
		}
	}

	templates, err := m.linkMap(templateToFormat, FormatCodes)
	if err != nil {
		return nil, err
	}
	s.formatByTemplate = byCode(templates, func(c string) string { return strings.TrimPrefix(c, "urn:oid:") })

	media, err := m.linkMap(mediaToFormat, FormatCodes)
	if err != nil {
		return nil, err
	}
	s.formatByMedia = byCode(media, normMediaType)
	return s, nil
}

// linkMap resolves every target of concept map name in value set target and
// returns, for each source, its targets as national codings.
func (m *merged) linkMap(name, target string) (map[conceptKey][]docbridge.Coding, error) {
	cm := m.maps[name]
	if cm == nil {
		return nil, fmt.Errorf("link: no concept map %s loaded", name)
	}
	vs := m.sets[target]
	srcs := make([]conceptKey, 0, len(cm.targets))
	for src := range cm.targets {
		srcs = append(srcs, src)
	}
	slices.SortFunc(srcs, func(a, b conceptKey) int {
		return cmp.Or(cmp.Compare(a.system, b.system), cmp.Compare(a.code, b.code))
	})
	out := make(map[conceptKey][]docbridge.Coding, len(srcs))
	for _, src := range srcs {
		for _, dst := range cm.targets[src] {
			k, err := m.resolve(dst, vs)
			if err != nil {
				return nil, fmt.Errorf("link %s (%s): target of %s: %w", name, cm.origin[src], src, err)
			}
			out[src] = append(out[src], docbridge.Coding{System: k.system, Code: k.code, Display: vs.display[k]})
		}
	}
	return out, nil
}

// byCode indexes a linked map by its sources' codes alone (templateIds and
// media types come without a system), normalised by norm. A code whose
// sources map to more than one target is ambiguous and left out.
func byCode(lm map[conceptKey][]docbridge.Coding, norm func(string) string) map[string]docbridge.Coding {
	all := map[string][]docbridge.Coding{}
	for src, dsts := range lm {
		c := norm(src.code)
		for _, d := range dsts {
			if !slices.Contains(all[c], d) {
				all[c] = append(all[c], d)
			}
		}
	}
	out := make(map[string]docbridge.Coding, len(all))
	for c, dsts := range all {
		if len(dsts) == 1 {
			out[c] = dsts[0]
		}
	}
	return out
}
