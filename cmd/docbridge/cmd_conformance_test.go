package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConformanceUsage: what cannot run is a usage or configuration error
// (exit 2) that names the problem, before any request.
func TestConformanceUsage(t *testing.T) {
	dir := t.TempDir()
	config := func(name, env, extra string) string {
		p := filepath.Join(dir, name)
		body := "environment: " + env + "\ndata: " + filepath.Join(dir, "data") + "\nmes: {base_url: 'http://127.0.0.1:1'}\n" + extra
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	prod := config("prod.yaml", "production", "")
	noCallback := config("test.yaml", "test", "")
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--only", "documents,factures"}, `unknown API "factures"`},
		{[]string{"--sim-refuse", "documents.nothing"}, `no case "documents.nothing"`},
		{[]string{"--sim-refuse", "documents.publish=200"}, "not a 4xx or 5xx"},
		{[]string{"-c", prod}, "runs only with environment: test"},
		{[]string{"-c", noCallback}, "pairing.public_url"},
		{[]string{"-c", noCallback, "--sim-refuse", "documents.publish"}, "built-in simulator only"},
	}
	for _, tt := range tests {
		err := run(t.Context(), append([]string{"conformance", "--out", filepath.Join(dir, "out")}, tt.args...), io.Discard, io.Discard)
		if exitCode(err) != 2 || err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("conformance %v: exit %d, %v; want 2 saying %q", tt.args, exitCode(err), err, tt.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "out")); err == nil {
		t.Error("a refused command wrote a report")
	}
}
