package main

import (
	"strings"
	"testing"
)

func TestYAMLErrorMessages(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       string // "" means no error
	}{
		{"valid", "data: /d\nmes: {base_url: http://x}\n", ""},
		{"typo at top", "data: /d\nmes: {base_url: http://x}\nfolder: []\n", `line 3: unknown key "folder" (did you mean "folders"?)`},
		{"no near key", "data: /d\nmes: {base_url: http://x}\nzzzzzz: 1\n", `line 3: unknown key "zzzzzz"` + "\n"},
		{"nested typo", "data: /d\nmes: {base_url: http://x, profil: mes-api}\n", `line 2: mes: unknown key "profil" (did you mean "profile"?)`},
		{"int duration", "data: /d\nmes: {base_url: http://x}\ndelivery: {retry_base: 2}\n", "line 3: delivery.retry_base: 2 is not a duration: write it with a unit, e.g. 2s"},
		{"quoted duration", "data: /d\nmes: {base_url: http://x}\nidentity: {hold_max: '10'}\n", `identity.hold_max: "10" is not a duration: write it with a unit, e.g. 10s`},
		{"word duration", "data: /d\nmes: {base_url: http://x}\nfolders: [{path: /a, settle: soon}]\n", "folders[0].settle: soon is not a duration: write it with a unit, e.g. 2s"},
		{"bool", "data: /d\nmes: {base_url: http://x}\npdf: {require_pdfa: maybe}\n", "pdf.require_pdfa: maybe is not true or false"},
		{"yaml 1.1 bool is fine", "data: /d\nmes: {base_url: http://x}\nfolders: [{path: /a, poll: yes}]\n", ""},
		{"mapping for a list", "data: /d\nmes: {base_url: http://x}\nmllp: {addr: ':1'}\n", "mllp: want a list"},
		{"list for a string", "data: [/d]\nmes: {base_url: http://x}\n", "data: want a single value, not a list"},
		{"map values", "data: /d\nmes: {base_url: http://x}\nhl7: {charsets: {LAB: [a]}}\n", "hl7.charsets.LAB: want a single value"},
		{"users typo", "data: /d\nmes: {base_url: http://x}\nadmin: {users: [{name: a, pasword_hash: x}]}\n", `admin.users[0]: unknown key "pasword_hash" (did you mean "password_hash"?)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseConfig([]byte(tt.yaml))
			if tt.want == "" {
				if err != nil {
					t.Fatalf("parseConfig: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("parseConfig: no error, want %q", tt.want)
			}
			if got := err.Error() + "\n"; !strings.Contains(got, tt.want) {
				t.Errorf("error %q does not contain %q", got, tt.want)
			}
			for _, goName := range []string{"main.", "time.", "!!", "type "} {
				if strings.Contains(err.Error(), goName) {
					t.Errorf("error %q names Go's %q", err, goName)
				}
			}
		})
	}
}
