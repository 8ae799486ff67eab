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
		{"unknown key names its line", "data: /d\nmes: {base_url: http://x}\nfolderz: []\n", []string{"line 3", "folderz"}},
		{"missing data and url", "environment: test\n", []string{"data: required", "mes.base_url: required"}},
		{"bad environment", "environment: prod\ndata: /d\nmes: {base_url: http://x}\n", []string{"environment:", `"prod"`}},
		{"bad profile", "data: /d\nmes: {profile: xds, base_url: http://x}\n", []string{"mes.profile"}},
		{"folder without path", "data: /d\nmes: {base_url: http://x}\nfolders: [{name: a}]\n", []string{"folders[0].path: required"}},
		{"duplicate folder names", "data: /d\nmes: {base_url: http://x}\nfolders: [{name: a, path: /a}, {name: a, path: /b}]\n", []string{"folders[1].name"}},
		{"bad level", "data: /d\nmes: {base_url: http://x}\nlog: {level: loud}\n", []string{"log.level"}},
		{"bad duration", "data: /d\nmes: {base_url: http://x}\nfolders: [{path: /a, settle: soon}]\n", []string{"soon"}},
		{"bad timezone", "data: /d\nmes: {base_url: http://x}\ntimezone: Mars/Olympus\n", []string{"timezone"}},
		{"hl7 charset override", "data: /d\nmes: {base_url: http://x}\nhl7: {charsets: {LABO: windows-1252}}\n", nil},
		{"unknown hl7 charset", "data: /d\nmes: {base_url: http://x}\nhl7: {charsets: {LABO: klingon}}\n", []string{"hl7.charsets.LABO", "klingon"}},
		{"mllp listeners", "data: /d\nmes: {base_url: http://x}\nmllp:\n  - {name: lis, addr: '127.0.0.1:2575', max_message_bytes: 1000000, idle_timeout: 2m}\n  - {addr: ':2576', tls: {cert: c.pem, key: k.pem, client_ca: ca.pem}}\n", nil},
		{"mllp without addr", "data: /d\nmes: {base_url: http://x}\nmllp: [{name: lis}]\n", []string{"mllp[0].addr: required"}},
		{"mllp bad addr", "data: /d\nmes: {base_url: http://x}\nmllp: [{addr: 2575}]\n", []string{"mllp[0].addr", "host:port"}},
		{"mllp unknown key", "data: /d\nmes: {base_url: http://x}\nmllp: [{addr: ':1', port: 2}]\n", []string{"port"}},
		{"mllp negative limits", "data: /d\nmes: {base_url: http://x}\nmllp: [{addr: ':1', max_message_bytes: -1, idle_timeout: -1s}]\n", []string{"mllp[0].max_message_bytes", "mllp[0].idle_timeout"}},
		{"mllp bounds", "data: /d\nmes: {base_url: http://x}\nmllp: [{addr: ':1', max_connections: 300, spool_above_bytes: 65536, memory_budget_bytes: 8388608, spool_budget_bytes: 1073741824, large_accepts: 4}]\n", nil},
		{"mllp negative bounds", "data: /d\nmes: {base_url: http://x}\nmllp: [{addr: ':1', max_connections: -1, spool_above_bytes: -1, memory_budget_bytes: -1, spool_budget_bytes: -1, large_accepts: -1}]\n",
			[]string{"mllp[0].max_connections", "mllp[0].spool_above_bytes", "mllp[0].memory_budget_bytes", "mllp[0].spool_budget_bytes", "mllp[0].large_accepts"}},
		{"mllp tls without key", "data: /d\nmes: {base_url: http://x}\nmllp: [{addr: ':1', tls: {cert: c.pem}}]\n", []string{"mllp[0].tls.key: required"}},
		{"mllp tls unknown key", "data: /d\nmes: {base_url: http://x}\nmllp: [{addr: ':1', tls: {cert: c, key: k, ca: x}}]\n", []string{"ca"}},
		{"base url without scheme", "data: /d\nmes: {base_url: mes.example.fr}\n", []string{`mes.base_url: "mes.example.fr" is not an absolute URL`}},
		{"pairing url without scheme", "data: /d\nmes: {base_url: http://x}\npairing: {mes_url: 'mes:443'}\n", []string{"pairing.mes_url"}},
		{"two MLLP listeners on one port", "data: /d\nmes: {base_url: http://x}\nmllp: [{addr: ':2575'}, {addr: '127.0.0.1:2575'}]\n", []string{"mllp[1].addr: port 2575 is also mllp[0].addr"}},
		{"FHIR and console on one port", "data: /d\nmes: {base_url: http://x}\nfhir: {addr: '127.0.0.1:8443', tokens_file: t}\nadmin: {addr: '127.0.0.1:8443'}\n", []string{"admin.addr: port 8443 is also fhir.addr"}},
		{"console and pairing on one port", "data: /d\nmes: {base_url: http://x}\nadmin: {addr: '[::]:9000'}\npairing: {addr: '127.0.0.1:9000', public_url: 'http://p'}\n", []string{"pairing.addr: port 9000 is also admin.addr"}},
		{"one port on two hosts", "data: /d\nmes: {base_url: http://x}\nadmin: {addr: '127.0.0.1:9000'}\npairing: {addr: '192.0.2.1:9000', public_url: 'https://p'}\n", nil},
		{"port 0 twice", "data: /d\nmes: {base_url: http://x}\nmllp: [{addr: '127.0.0.1:0'}, {addr: '127.0.0.1:0'}]\n", nil},
		{"delivery concurrency", "data: /d\nmes: {base_url: http://x}\ndelivery: {concurrency: 64}\n", nil},
		{"delivery concurrency too high", "data: /d\nmes: {base_url: http://x}\ndelivery: {concurrency: 65}\n", []string{"delivery.concurrency", "65", "between 1 and 64"}},
		{"delivery concurrency negative", "data: /d\nmes: {base_url: http://x}\ndelivery: {concurrency: -1}\n", []string{"delivery.concurrency"}},
		{"folder concurrency", "data: /d\nmes: {base_url: http://x}\nfolders: [{path: /in, concurrency: 64}]\n", nil},
		{"folder concurrency too high", "data: /d\nmes: {base_url: http://x}\nfolders: [{path: /in, concurrency: 65}]\n", []string{"folders[0].concurrency", "65", "between 1 and 64", "0 means 4"}},
		{"folder concurrency negative", "data: /d\nmes: {base_url: http://x}\nfolders: [{path: /in}, {path: /in2, concurrency: -2}]\n", []string{"folders[1].concurrency", "-2"}},
		{"mllp name clashes with a folder", "data: /d\nmes: {base_url: http://x}\nfolders: [{name: lab, path: /a}]\nmllp: [{name: lab, addr: ':1'}]\n", []string{"mllp[0].name", `"lab"`}},
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
	c, err := parseConfig([]byte("data: /d\nmes: {base_url: http://x}\nfolders: [{path: /a, settle: 3s}]\n"))
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

// FuzzParseConfig: any bytes give a config or an error, never a panic;
// the error never names a Go type.
func FuzzParseConfig(f *testing.F) {
	f.Add([]byte("data: /d\nmes: {base_url: http://x}\n"))
	f.Add([]byte("folders: [{path: /a, settle: 2}]\nadmin: {users: [{name: a, pasword: x}]}\nfolder: x\n"))
	f.Add([]byte("a: &x {b: *x}\nmllp: {addr: 1}\n"))
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
		if err != nil && strings.Contains(err.Error(), "main.") {
			t.Errorf("the error names a Go type: %v", err)
		}
	})
}

func TestMLLPConfigDefaultsAndPaths(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/docbridge.yaml"
	if err := os.WriteFile(path, []byte("data: d\nmes: {base_url: http://x}\nmllp: [{addr: ':1', tls: {cert: c.pem, key: /abs/k.pem}}]\n"), 0o600); err != nil {
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
