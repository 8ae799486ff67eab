package hl7

import (
	"testing"
)

func TestCharsets(t *testing.T) {
	const head = "MSH|^~\\&|A|B|C|D|||ORU^R01|1|P|2.5|||||FRA|"
	tests := []struct {
		name, charset, override string
		value                   string // PID-5 bytes
		want, wantName          string
	}{
		{"UTF-8", "UNICODE UTF-8", "", "Ren\xc3\xa9e", "Renée", "UTF-8"},
		{"empty means UTF-8", "", "", "Ren\xc3\xa9e", "Renée", "UTF-8"},
		{"ASCII", "ASCII", "", "Renee", "Renee", "UTF-8"},
		{"8859/1", "8859/1", "", "Ren\xe9e", "Renée", "ISO-8859-1"},
		{"8859/15 euro", "8859/15", "", "\xa4 \xbd", "€ œ", "ISO-8859-15"},
		{"8859/1 has no euro", "8859/1", "", "\xa4", "¤", "ISO-8859-1"},
		{"override windows-1252", "8859/1", "windows-1252", "\x80 \x9c", "€ œ", "windows-1252"},
		{"override is case-insensitive", "UNICODE UTF-8", "CP1252", "\xe9", "é", "windows-1252"},
		{"invalid UTF-8 replaced", "UNICODE UTF-8", "", "Ren\xe9e", "Ren\uFFFDe", "UTF-8"},
		{"escape in latin-1", "8859/1", "", "\\X E9\\x\xe9", "\\X E9\\xé", "ISO-8859-1"},
		{"hex escape in latin-1", "8859/1", "", "\\XE9\\", "é", "ISO-8859-1"},
		{"second repetition ignored", "8859/1~UNICODE UTF-8", "", "\xe9", "é", "ISO-8859-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ParseWith([]byte(head+tt.charset+"\rPID|||||"+tt.value+"\r"), ParseOptions{Charset: tt.override})
			if err != nil {
				t.Fatal(err)
			}
			if got := m.Segments()[1].Field(5).String(); got != tt.want {
				t.Errorf("PID-5 = %q, want %q", got, tt.want)
			}
			if got := m.Charset(); got != tt.wantName {
				t.Errorf("Charset = %q, want %q", got, tt.wantName)
			}
		})
	}
	if _, err := ParseWith([]byte(head+"\r"), ParseOptions{Charset: "EBCDIC"}); err == nil {
		t.Error("an unknown override was accepted")
	}
	if len(CharsetNames()) < 5 {
		t.Error("CharsetNames is short")
	}
}
