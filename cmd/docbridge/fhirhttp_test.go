package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/store"
	"github.com/docbridge/docbridge/watch/fhirhttp"
)

func TestFHIRConfig(t *testing.T) {
	const base = "data: /d\nmes: {base_url: http://x}\n"
	tests := []struct {
		name    string
		yaml    string
		wantErr []string
	}{
		{"off", base, nil},
		{"tokens", base + "fhir: {addr: '127.0.0.1:8444', tokens_file: tokens}\n", nil},
		{"client certificates only", base + "fhir: {addr: ':8444', tls: {cert: c.pem, key: k.pem, client_ca: ca.pem}}\n", nil},
		{"limits", base + "fhir: {addr: ':8444', tokens_file: t, max_body_bytes: 1000, max_pdf_bytes: 2000, read_timeout: 1m}\n", nil},
		{"open", base + "fhir: {addr: ':8444'}\n", []string{"fhir.tokens_file: required", "never open"}},
		{"bad addr", base + "fhir: {addr: '8444', tokens_file: t}\n", []string{"fhir.addr"}},
		{"tls without key", base + "fhir: {addr: ':1', tokens_file: t, tls: {cert: c.pem}}\n", []string{"fhir.tls"}},
		{"negative", base + "fhir: {addr: ':1', tokens_file: t, max_body_bytes: -1}\n", []string{"must not be negative"}},
		{"name clash", base + "folders: [{name: fhir, path: /a}]\nfhir: {addr: ':1', tokens_file: t}\n", []string{"fhir.name", `"fhir"`}},
		{"unknown key", base + "fhir: {addr: ':1', token: x}\n", []string{"token"}},
		{"folder sidecar grace", base + "folders: [{path: /a, sidecar_grace: 5s}]\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseConfig([]byte(tt.yaml))
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("parseConfig: %v", err)
				}
				if c.FHIR.Name != "fhir" {
					t.Errorf("fhir.name = %q, want the default fhir", c.FHIR.Name)
				}
				return
			}
			for _, w := range tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("parseConfig: %v, want an error containing %q", err, w)
				}
			}
		})
	}
}

func TestReadTokens(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "tokens")
	os.WriteFile(p, []byte("# senders\n\n  tok-a  \ntok-b\n"), 0o600)
	got, err := readTokens(p, zerolog.Nop())
	if err != nil || strings.Join(got, ",") != "tok-a,tok-b" {
		t.Errorf("readTokens = %q, %v", got, err)
	}
	os.WriteFile(p, []byte("# none yet\n"), 0o600)
	if _, err := readTokens(p, zerolog.Nop()); err == nil {
		t.Error("readTokens of a file without token: no error")
	}
	if _, err := readTokens(filepath.Join(dir, "nope"), zerolog.Nop()); err == nil {
		t.Error("readTokens of a missing file: no error")
	}
}

func TestStoreStatus(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	acc, err := st.AcceptConverted(ctx, &docbridge.Envelope{Intake: "fhir", Source: "127.0.0.1", Body: strings.NewReader(`{"resourceType": "Bundle"}`)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.FailInput(ctx, acc.ID, docbridge.UnsupportedFormat, "the Bundle has no type"); err != nil {
		t.Fatal(err)
	}
	s := storeStatus{st}
	got, err := s.InputStatus(ctx, acc.ID)
	if err != nil || got.Input != acc.ID || got.Intake != "fhir" || got.State != docbridge.Failed ||
		got.Reason != docbridge.UnsupportedFormat || got.Documents == nil {
		t.Errorf("InputStatus = %+v, %v", got, err)
	}
	if _, err := s.InputStatus(ctx, 999); !errors.Is(err, fhirhttp.ErrUnknownInput) {
		t.Errorf("InputStatus(999) = %v, want ErrUnknownInput", err)
	}
}
