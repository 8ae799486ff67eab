package measure

import (
	"strings"
	"testing"
)

// TestParseNumber checks the OBX-5 numeric forms.
func TestParseNumber(t *testing.T) {
	tests := []struct {
		nm      string
		sn      []string
		want    string
		wantErr bool
	}{
		{nm: "71.5", want: "71.5"}, {nm: "71,5", want: "71.5"}, {nm: " 007 ", want: "7"}, {nm: "+4.0", want: "4.0"},
		{nm: "-3", want: "-3"}, {nm: "-0", want: "0"}, {nm: ".5", want: "0.5"}, {nm: "5.", wantErr: true},
		{nm: "1,000.5", wantErr: true}, {nm: "1e3", wantErr: true}, {nm: "", wantErr: true}, {nm: "abc", wantErr: true},
		{sn: []string{"", "5.5"}, want: "5.5"}, {sn: []string{"=", "5,5"}, want: "5.5"},
		{sn: []string{"<", "5"}, wantErr: true}, {sn: []string{"", "1", "-", "2"}, wantErr: true}, {sn: []string{"", "1", ":", "2"}, wantErr: true},
	}
	for _, tc := range tests {
		got, err := ParseNumber(tc.nm, tc.sn)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("ParseNumber(%q, %q) = %q, %v; want %q, error %v", tc.nm, tc.sn, got, err, tc.want, tc.wantErr)
		}
	}
}

// FuzzParseNumber checks that parseNumber never panics and that what it
// accepts is canonical: parsing it again gives it back.
func FuzzParseNumber(f *testing.F) {
	for _, s := range []string{"71.5", "71,5", "-0", "+4.0", "<^5", "=^5,5", "^1^-^2", ".5", "1e3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var sn []string
		if strings.Contains(s, "^") {
			sn = strings.Split(s, "^")
		}
		got, err := ParseNumber(s, sn)
		if err != nil {
			return
		}
		again, err := ParseNumber(got, nil)
		if err != nil || again != got {
			t.Fatalf("ParseNumber(%q) = %q, which parses again as %q, %v", s, got, again, err)
		}
	})
}
