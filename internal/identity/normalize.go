package identity

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Normalize returns s in the form used to compare identity traits, and only
// to compare them: upper case, accents removed, hyphens and apostrophes read
// as spaces, runs of spaces collapsed, trimmed. "Marie-Anne d’Arc" and
// "MARIE ANNE D ARC" compare equal. The stored and sent traits are never
// normalised.
func Normalize(s string) string {
	var b strings.Builder
	space := false
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case r == '-' || r == '\'' || r == '’' || r == '‘' || r == 'ʼ' || unicode.IsSpace(r):
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteString(strings.ToUpper(string(r)))
	}
	return b.String()
}
