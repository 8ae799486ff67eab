package main

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		wantErr []string // substrings the error must contain; none means valid
	}{
		{"minimal", "data: /d\nmes: {base_url: http://x}\n", nil},
		{"full", `environment: test
data: /d
timezone: Europe/Paris
log: {level: debug, format: console}
mes: {profile: mes-api, base_url: https://mes}
identity: {accept_vali: true}
limits: {max_input_bytes: 1000}
delivery: {retry_base: 1s, retry_max: 1m}
folders:
  - {name: lab, path: /drop, settle: 3s, rescan: 1m}
`, nil},
		{"unknown key names its line", "data: /d\nmes: {base_url: x}\nfolderz: []\n", []string{"line 3", "folderz"}},
		{"missing data and url", "environment: test\n", []string{"data: required", "mes.base_url: required"}},
		{"bad environment", "environment: prod\ndata: /d\nmes: {base_url: x}\n", []string{"environment:", `"prod"`}},
		{"bad profile", "data: /d\nmes: {profile: xds, base_url: x}\n", []string{"mes.profile"}},
		{"folder without path", "data: /d\nmes: {base_url: x}\nfolders: [{name: a}]\n", []string{"folders[0].path: required"}},
		{"duplicate folder names", "data: /d\nmes: {base_url: x}\nfolders: [{name: a, path: /a}, {name: a, path: /b}]\n", []string{"folders[1].name"}},
		{"bad level", "data: /d\nmes: {base_url: x}\nlog: {level: loud}\n", []string{"log.level"}},
		{"bad duration", "data: /d\nmes: {base_url: x}\nfolders: [{path: /a, settle: soon}]\n", []string{"soon"}},
		{"bad timezone", "data: /d\nmes: {base_url: x}\ntimezone: Mars/Olympus\n", []string{"timezone"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseConfig([]byte(tt.yaml))
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("parseConfig: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("parseConfig: no error, want one containing %q", tt.wantErr)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	c, err := parseConfig([]byte("data: /d\nmes: {base_url: x}\nfolders: [{path: /a, settle: 3s}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Environment != "production" || c.TimeZone != "Europe/Paris" || c.MES.Profile != "mes-api" || c.Log.Format != "json" {
		t.Errorf("defaults = %+v", c)
	}
	if got, want := c.Folders[0].Name, "folder1"; got != want {
		t.Errorf("folder name = %q, want %q", got, want)
	}
	if got, want := c.Folders[0].Settle, 3*time.Second; got != want {
		t.Errorf("settle = %v, want %v", got, want)
	}
}

// FuzzParseConfig: any bytes give a config or an error, never a panic.
func FuzzParseConfig(f *testing.F) {
	f.Add([]byte("data: /d\nmes: {base_url: http://x}\n"))
	f.Add([]byte("folders: [{path: /a, settle: 3s}]\nlimits: {max_input_bytes: -1}\n"))
	f.Add([]byte("&a [*a, *a]"))
	if b, err := os.ReadFile("../../samples/docbridge.yaml"); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := parseConfig(b)
		if err == nil && (c.Data == "" || c.MES.BaseURL == "") {
			t.Errorf("accepted a config without data or mes.base_url")
		}
	})
}
