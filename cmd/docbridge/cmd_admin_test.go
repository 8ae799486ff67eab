package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

func TestHashPassword(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := runAdminWith(strings.NewReader("s3cret\n"), nil, []string{"hash-password"}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	hash := strings.TrimSpace(out.String())
	if err := bcrypt.CompareHashAndPassword([]byte(hash), []byte("s3cret")); err != nil {
		t.Errorf("printed hash %q does not verify: %v", hash, err)
	}
	if err := runAdminWith(strings.NewReader(""), nil, []string{"hash-password"}, &out, &errOut); exitCode(err) != 2 {
		t.Errorf("empty password: exit %d, want 2", exitCode(err))
	}
}

// TestHashPasswordOnTerminal: on a terminal the password is asked twice
// (hidden) and two different entries are refused without a hash.
func TestHashPasswordOnTerminal(t *testing.T) {
	tests := []struct {
		name    string
		entries []string
		code    int
	}{
		{"confirmed", []string{"s3cret", "s3cret"}, 0},
		{"entries differ", []string{"s3cret", "s3cert"}, 2},
		{"empty", []string{""}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var asked []string
			hidden := func(prompt string) (string, error) {
				asked = append(asked, prompt)
				if len(asked) > len(tt.entries) {
					t.Fatalf("asked %d times", len(asked))
				}
				return tt.entries[len(asked)-1], nil
			}
			var out, errOut bytes.Buffer
			err := runAdminWith(strings.NewReader("from stdin\n"), hidden, []string{"hash-password"}, &out, &errOut)
			if got := exitCode(err); got != tt.code {
				t.Fatalf("exit %d (%v), want %d", got, err, tt.code)
			}
			if tt.code != 0 {
				if out.Len() != 0 {
					t.Errorf("printed %q after a refusal", out.String())
				}
				return
			}
			if err := bcrypt.CompareHashAndPassword([]byte(strings.TrimSpace(out.String())), []byte("s3cret")); err != nil {
				t.Errorf("hash does not verify the entered password: %v", err)
			}
		})
	}
}

func TestConfigCheck(t *testing.T) {
	dir := t.TempDir()
	hash, _ := bcrypt.GenerateFromPassword([]byte("x"), bcrypt.MinCost)
	os.WriteFile(filepath.Join(dir, "cert.pem"), []byte("x"), 0o600)
	base := "environment: test\ndata: data\nmes: {base_url: http://127.0.0.1:1}\n"
	tests := []struct {
		name     string
		yaml     string
		wantCode int
		wantOut  []string
	}{
		{"valid, console on", base + "admin: {addr: 127.0.0.1:8080, users: [{name: otto, password_hash: '" + string(hash) + "', role: operator}]}\n", 0, []string{"OK"}},
		{"bad role and hash", base + "admin: {addr: 127.0.0.1:8080, users: [{name: otto, password_hash: plain, role: boss}]}\n", 2, []string{"admin.users[0].role", "admin.users[0].password_hash"}},
		{"unreadable TLS key", base + "admin: {addr: 127.0.0.1:8443, users: [{name: otto, password_hash: '" + string(hash) + "', role: viewer}], tls: {cert: cert.pem, key: missing.pem}}\n", 2, []string{"admin.tls.key"}},
		{"console without users", base + "admin: {addr: 127.0.0.1:8080}\n", 2, []string{"admin.users"}},
		{"trusted header without proxies", base + "admin: {trusted_header: X-Remote-User}\n", 2, []string{"admin.trusted_proxies"}},
		{"sign-in throttle set", base + "admin: {addr: 127.0.0.1:8080, users: [{name: otto, password_hash: '" + string(hash) + "', role: operator}], sign_in: {failures: 3, address_failures: 10, account_failures: 30, max_lockout: 1h}}\n", 0, []string{"OK"}},
		{"negative sign-in throttle", base + "admin: {sign_in: {failures: -1}}\n", 2, []string{"admin.sign_in"}},
		{"missing mappings dir", base + "mappings: {override_dir: nowhere}\n", 2, []string{"mappings.override_dir"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, "c"+string(rune('a'+i))+".yaml")
			os.WriteFile(path, []byte(tt.yaml), 0o600)
			var out bytes.Buffer
			err := run(context.Background(), []string{"config", "check", "-c", path}, &out, &out)
			if got := exitCode(err); got != tt.wantCode {
				t.Errorf("exit %d, want %d (%v)\n%s", got, tt.wantCode, err, out.String())
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
		})
	}
}
