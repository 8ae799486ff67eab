package hl7

import (
	"bytes"
	"strings"
)

// level is how far a Value has been split: a field still holds its
// repetitions, a repetition its components, a component its subcomponents.
type level uint8

const (
	levelField level = iota
	levelRep
	levelComp
	levelSub
	levelLiteral // MSH-1 and MSH-2: never split, never unescaped
)

// Value is a field, a repetition, a component or a subcomponent: a
// sub-slice of the message, still escaped and in the message's character
// set. The zero Value is empty. Values are cheap to copy.
//
// Rep, Comp and Sub go down one or more levels: Comp on a field reads the
// first repetition, Sub on a field or a repetition reads the first
// component. Asking for a part that is not there gives the empty Value.
type Value struct {
	b   []byte
	m   *Message
	lvl level
}

// Raw returns the value's bytes as they are in the message: escaped, in the
// message's character set. It is a sub-slice of the input, not a copy.
func (v Value) Raw() []byte { return v.b }

// IsEmpty reports whether the value is absent or empty.
func (v Value) IsEmpty() bool { return len(v.b) == 0 }

// IsNull reports whether the value is the HL7 explicit null `""`.
func (v Value) IsNull() bool { return len(v.b) == 2 && v.b[0] == '"' && v.b[1] == '"' }

// Rep returns repetition n (1-based) of a field. On a value below field
// level, Rep(1) is the value itself and other repetitions are empty.
func (v Value) Rep(n int) Value {
	switch {
	case v.m == nil || n <= 0:
		return Value{}
	case v.lvl == levelField:
		return Value{b: nth(v.b, v.m.delims.Repetition, n), m: v.m, lvl: levelRep}
	case n == 1:
		return v
	}
	return Value{}
}

// Reps returns every repetition of a field (one for a non-repeating field,
// none for an empty one).
func (v Value) Reps() []Value {
	if v.m == nil || len(v.b) == 0 {
		return nil
	}
	if v.lvl != levelField {
		return []Value{v}
	}
	var out []Value
	b := v.b
	for {
		i := bytes.IndexByte(b, v.m.delims.Repetition)
		if i < 0 {
			return append(out, Value{b: b, m: v.m, lvl: levelRep})
		}
		out = append(out, Value{b: b[:i], m: v.m, lvl: levelRep})
		b = b[i+1:]
	}
}

// Comp returns component n (1-based). On a field it reads the first
// repetition. On a component or subcomponent, Comp(1) is the value itself.
func (v Value) Comp(n int) Value {
	switch {
	case v.m == nil || n <= 0:
		return Value{}
	case v.lvl == levelField:
		v = v.Rep(1)
		fallthrough
	case v.lvl == levelRep:
		return Value{b: nth(v.b, v.m.delims.Component, n), m: v.m, lvl: levelComp}
	case n == 1:
		return v
	}
	return Value{}
}

// Sub returns subcomponent n (1-based) of a component. On a field or a
// repetition it reads the first component.
func (v Value) Sub(n int) Value {
	switch {
	case v.m == nil || n <= 0:
		return Value{}
	case v.lvl == levelField || v.lvl == levelRep:
		v = v.Comp(1)
		fallthrough
	case v.lvl == levelComp:
		return Value{b: nth(v.b, v.m.delims.Subcomponent, n), m: v.m, lvl: levelSub}
	case n == 1:
		return v
	}
	return Value{}
}

// Bytes returns the value with its escape sequences resolved, still in the
// message's character set. Without an escape character in the value it is
// Raw itself, not a copy. A value above component level is returned whole
// (delimiters included), with escapes resolved.
func (v Value) Bytes() []byte {
	if v.m == nil || v.lvl == levelLiteral {
		return v.b
	}
	return Unescape(v.b, v.m.delims)
}

// String returns the value as UTF-8 text: escape sequences resolved, then
// decoded from the message's character set. Bytes that are not valid in
// that character set become U+FFFD. The HL7 explicit null `""` is returned
// as it is (see IsNull).
func (v Value) String() string {
	if v.m == nil {
		return ""
	}
	return v.m.decode(v.Bytes())
}

// Text returns String with leading and trailing white space removed.
func (v Value) Text() string { return strings.TrimSpace(v.String()) }
