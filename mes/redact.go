package mes

import (
	"regexp"
	"sort"
	"strings"
	"unicode"

	"github.com/docbridge/docbridge"
)

// longDigits matches numbers as long as an INS or NIR (13 digits and more).
var longDigits = regexp.MustCompile(`[0-9]{13,}`)

// newRedactor returns a function that scrubs patient data from text MES
// sends back before it goes into an error message (docs/architecture.md §9): the
// document's and the pairing's INS, names, birth date, birthplace and local
// ids, any 13+ digit number, and control characters. MES is not expected to
// echo patient data; this is the second line of defence.
func newRedactor(d *docbridge.Document, p *docbridge.Pairing) func(string) string {
	var words []string
	add := func(pt docbridge.Patient) {
		words = append(words, pt.INS, pt.BirthName, pt.BirthDate, strings.ReplaceAll(pt.BirthDate, "-", ""), pt.BirthPlace)
		words = append(words, pt.FirstNames...)
		for _, f := range pt.FirstNames {
			words = append(words, strings.Fields(f)...)
		}
		for _, id := range pt.LocalIDs {
			words = append(words, id.Value)
		}
	}
	add(d.Patient)
	if p != nil {
		add(p.Patient)
	}
	var alts []string
	seen := map[string]bool{}
	for _, w := range words {
		w = strings.TrimSpace(w)
		if len([]rune(w)) < 3 || seen[strings.ToLower(w)] {
			continue
		}
		seen[strings.ToLower(w)] = true
		alts = append(alts, regexp.QuoteMeta(w))
	}
	sort.Slice(alts, func(i, j int) bool { return len(alts[i]) > len(alts[j]) })
	var re *regexp.Regexp
	if len(alts) > 0 {
		re = regexp.MustCompile(`(?i)` + strings.Join(alts, "|"))
	}
	return func(s string) string {
		s = strings.Map(func(r rune) rune {
			if unicode.IsControl(r) {
				return ' '
			}
			return r
		}, s)
		if re != nil {
			s = re.ReplaceAllString(s, "[redacted]")
		}
		return longDigits.ReplaceAllString(s, "[redacted]")
	}
}
