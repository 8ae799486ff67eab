package traits

import "testing"

func TestNormINS(t *testing.T) {
	for in, want := range map[string]string{
		"285047505612322":         "285047505612322",
		" 2 85 04 75 056 123 22 ": "285047505612322",
		"1 2a 01 004 001 002 45":  "12A0100400100245",
		"1852b\t01212397":         "1852B01212397",
		"":                        "",
	} {
		if got := NormINS(in); got != want {
			t.Errorf("NormINS(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestValidINSKey(t *testing.T) {
	for _, tt := range []struct {
		ins  string
		want bool
	}{
		{"279035121518989", true},
		{"222127505611201", false},
		{"27903512151898", false},  // 14 characters
		{"27903512151898X", false}, // a letter in the key
		{"2790351215189 9", false},
	} {
		if got := ValidINSKey(tt.ins); got != tt.want {
			t.Errorf("ValidINSKey(%q) = %t, want %t", tt.ins, got, tt.want)
		}
	}
	// Corsica: 2A reads as 19, 2B as 18, in either case.
	for _, body := range []string{"185042A012123", "185042B012123"} {
		n := body[:5] + map[byte]string{'A': "19", 'B': "18"}[body[6]] + body[7:]
		var v uint64
		for _, c := range n {
			v = v*10 + uint64(c-'0')
		}
		key := 97 - v%97
		ins := body + string(rune('0'+key/10)) + string(rune('0'+key%10))
		if !ValidINSKey(ins) {
			t.Errorf("ValidINSKey(%q) = false, want true", ins)
		}
		if lower := body[:6] + string(body[6]+'a'-'A') + ins[7:]; !ValidINSKey(lower) {
			t.Errorf("ValidINSKey(%q) = false, want true", lower)
		}
	}
}

func TestIsINSSystem(t *testing.T) {
	for sys, want := range map[string]bool{
		"1.2.250.1.213.1.4.8":          true,
		"urn:oid:1.2.250.1.213.1.4.9":  true,
		"urn:oid:1.2.250.1.213.1.4.10": true,
		"1.2.250.1.213.1.4.11":         true,
		"1.2.250.1.213.1.4.2":          false, // the legacy INS-C
		"":                             false,
	} {
		if got := IsINSSystem(sys); got != want {
			t.Errorf("IsINSSystem(%q) = %t, want %t", sys, got, want)
		}
	}
}
