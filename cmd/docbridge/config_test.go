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
		{"hl7 charset override", "data: /d\nmes: {base_url: x}\nhl7: {charsets: {LABO: windows-1252}}\n", nil},
		{"unknown hl7 charset", "data: /d\nmes: {base_url: x}\nhl7: {charsets: {LABO: klingon}}\n", []string{"hl7.charsets.LABO", "klingon"}},
		{"mllp listeners", "data: /d\nmes: {base_url: x}\nmllp:\n  - {name: lis, addr: '127.0.0.1:2575', max_message_bytes: 1000000, idle_timeout: 2m}\n  - {addr: ':2576', tls: {cert: c.pem, key: k.pem, client_ca: ca.pem}}\n", nil},
		{"mllp without addr", "data: /d\nmes: {base_url: x}\nmllp: [{name: lis}]\n", []string{"mllp[0].addr: required"}},
		{"mllp bad addr", "data: /d\nmes: {base_url: x}\nmllp: [{addr: 2575}]\n", []string{"mllp[0].addr", "host:port"}},
		{"mllp unknown key", "data: /d\nmes: {base_url: x}\nmllp: [{addr: ':1', port: 2}]\n", []string{"port"}},
		{"mllp negative limits", "data: /d\nmes: {base_url: x}\nmllp: [{addr: ':1', max_message_bytes: -1, idle_timeout: -1s}]\n", []string{"mllp[0].max_message_bytes", "mllp[0].idle_timeout"}},
		{"mllp tls without key", "data: /d\nmes: {base_url: x}\nmllp: [{addr: ':1', tls: {cert: c.pem}}]\n", []string{"mllp[0].tls.key: required"}},
		{"mllp tls unknown key", "data: /d\nmes: {base_url: x}\nmllp: [{addr: ':1', tls: {cert: c, key: k, ca: x}}]\n", []string{"ca"}},
		{"delivery concurrency", "data: /d\nmes: {base_url: x}\ndelivery: {concurrency: 64}\n", nil},
		{"delivery concurrency too high", "data: /d\nmes: {base_url: x}\ndelivery: {concurrency: 65}\n", []string{"delivery.concurrency", "65", "between 1 and 64"}},
		{"delivery concurrency negative", "data: /d\nmes: {base_url: x}\ndelivery: {concurrency: -1}\n", []string{"delivery.concurrency"}},
		{"mllp name clashes with a folder", "data: /d\nmes: {base_url: x}\nfolders: [{name: lab, path: /a}]\nmllp: [{name: lab, addr: ':1'}]\n", []string{"mllp[0].name", `"lab"`}},
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
	if got, want := c.Delivery.Concurrency, 16; got != want {
		t.Errorf("delivery.concurrency = %d, want %d", got, want)
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

func TestMLLPConfigDefaultsAndPaths(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/docbridge.yaml"
	if err := os.WriteFile(path, []byte("data: d\nmes: {base_url: x}\nmllp: [{addr: ':1', tls: {cert: c.pem, key: /abs/k.pem}}]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := loadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	m := c.MLLP[0]
	if got, want := m.Name, "mllp1"; got != want {
		t.Errorf("name = %q, want %q", got, want)
	}
	if got, want := m.TLS.Cert, dir+"/c.pem"; got != want {
		t.Errorf("tls.cert = %q, want %q", got, want)
	}
	if got, want := m.TLS.Key, "/abs/k.pem"; got != want {
		t.Errorf("tls.key = %q, want %q", got, want)
	}
}
