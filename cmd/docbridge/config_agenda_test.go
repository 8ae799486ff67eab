package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConfigCheckAgendaProfile: config check reads a profile's agenda and
// refuses an establishment without a name or with an id that is not
// root^extension, naming the profile and the field.
func TestConfigCheckAgendaProfile(t *testing.T) {
	tests := []struct {
		name, profile string
		want          []string // nil: OK
	}{
		{"valid", "  - {name: clinic, agenda: {enabled: true, types: [IRM], establishment: {name: Clinique, address: Paris, id: \"1.2.250.1.71.4.2.2^1999999901\"}}}\n", nil},
		{"no name, bad id", "  - {name: clinic, agenda: {enabled: true, establishment: {id: \"1999999901\"}}}\n",
			[]string{`profile "clinic": agenda.establishment.name:`, `profile "clinic": agenda.establishment.id: 1999999901 is not root^extension`}},
		{"unknown key", "  - {name: clinic, agenda: {enable: true}}\n", []string{"enable"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := filepath.Join(dir, "docbridge.yaml")
			body := fmt.Sprintf("environment: test\ndata: %q\nmes: {base_url: \"http://127.0.0.1:1\"}\nfolders:\n  - {name: drop, path: %q}\nprofiles:\n%s",
				filepath.Join(dir, "data"), filepath.Join(dir, "drop"), tt.profile)
			if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			err := run(context.Background(), []string{"config", "check", "-c", cfg}, &out, &out)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("config check: %v\n%s", err, out.String())
				}
				return
			}
			if err == nil || exitCode(err) != 2 {
				t.Fatalf("config check = %v (exit %d), want exit 2\n%s", err, exitCode(err), out.String())
			}
			for _, w := range tt.want {
				if !strings.Contains(out.String()+err.Error(), w) {
					t.Errorf("config check says\n%s\nwant it to name %q", out.String(), w)
				}
			}
		})
	}
}
