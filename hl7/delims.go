package hl7

// Delimiters are the ER7 separators of one message, read from MSH-1 and
// MSH-2.
type Delimiters struct {
	Field        byte // MSH-1, usually '|'
	Component    byte // '^'
	Repetition   byte // '~'
	Escape       byte // '\'
	Subcomponent byte // '&'
}

// DefaultDelimiters are the delimiters HL7 recommends, "|^~\&", which docbridge
// uses in every message it builds.
var DefaultDelimiters = Delimiters{Field: '|', Component: '^', Repetition: '~', Escape: '\\', Subcomponent: '&'}

// encodingChars is MSH-2 for d.
func (d Delimiters) encodingChars() string {
	return string([]byte{d.Component, d.Repetition, d.Escape, d.Subcomponent})
}

// validDelimiter reports whether c may be a delimiter: printable ASCII
// punctuation, not a letter, a digit or a space.
func validDelimiter(c byte) bool {
	switch {
	case c <= ' ' || c >= 0x7F:
		return false
	case c >= '0' && c <= '9', c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z':
		return false
	}
	return true
}

// readDelimiters reads MSH-1 and MSH-2 from a segment starting with "MSH".
// MSH-2 must hold the four encoding characters (a fifth, the truncation
// character of v2.7, is allowed and ignored); all five delimiters must be
// distinct punctuation.
func readDelimiters(msh []byte) (Delimiters, error) {
	if len(msh) < 8 {
		return Delimiters{}, parseErrorf(1, "MSH is too short to hold the field separator and the four encoding characters")
	}
	d := Delimiters{Field: msh[3], Component: msh[4], Repetition: msh[5], Escape: msh[6], Subcomponent: msh[7]}
	all := []byte{d.Field, d.Component, d.Repetition, d.Escape, d.Subcomponent}
	for i, c := range all {
		if !validDelimiter(c) {
			return Delimiters{}, parseErrorf(1, "MSH-1/MSH-2 delimiter %d is not a punctuation character", i+1)
		}
		for _, o := range all[:i] {
			if o == c {
				return Delimiters{}, parseErrorf(1, "MSH-1/MSH-2 uses the same character for two delimiters")
			}
		}
	}
	if len(msh) > 8 && msh[8] != d.Field {
		if len(msh) > 9 && msh[9] == d.Field && validDelimiter(msh[8]) {
			return d, nil // v2.7 truncation character
		}
		return Delimiters{}, parseErrorf(1, "MSH-2 must be the four encoding characters followed by the field separator")
	}
	return d, nil
}
