package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/store"
)

// End-to-end tests of the operator's side with real processes: commands
// that refuse a directory without a store, config check refusing what
// serve refuses, one writer per SQLite store, errors in the user's terms.

// runDocbridge runs docbridge (this test binary, see TestMain) with args to
// its end, for at most a minute, in the environment without any
// DOCBRIDGE_ variable plus env; it returns the exit code and the combined
// output.
func runDocbridge(t *testing.T, env []string, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DOCBRIDGE_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(append(cmd.Env, env...), childEnv+"="+strings.Join(args, "\n"))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("docbridge %v still running after a minute (killed)\n%s", args, out.String())
	case err == nil:
		return 0, out.String()
	case errors.As(err, &ee):
		return ee.ExitCode(), out.String()
	}
	t.Fatalf("docbridge %v: %v", args, err)
	return 0, ""
}

func TestOperatorCommandsRefuseDirectoryWithoutStore(t *testing.T) {
	pairings := filepath.Join(t.TempDir(), "pairings.json")
	os.WriteFile(pairings, []byte("[]"), 0o600)
	commands := [][]string{
		{"audit", "verify"},
		{"audit", "show", "--doc", "1"},
		{"audit", "export"},
		{"queue", "list"},
		{"queue", "retry", "--reason", "mes-unavailable", "--yes"},
		{"queue", "release", "--reason", "not-paired", "--yes"},
		{"queue", "review", "--id", "1"},
		{"pair", "list"},
		{"pair", "revoke", "--id", "p1", "--local-only"},
		{"pair", "import", "--environment", "test", pairings},
		{"mes", "search", "--pairing", "p1", "--mes", "http://127.0.0.1:9"},
	}
	for _, dirCase := range []string{"missing", "empty"} {
		for _, c := range commands {
			t.Run(dirCase+"/"+strings.Join(c[:2], " "), func(t *testing.T) {
				dir := filepath.Join(t.TempDir(), "typo")
				if dirCase == "empty" {
					os.Mkdir(dir, 0o700)
				}
				args := append(append(append([]string{}, c[:2]...), "--data", dir), c[2:]...)
				code, out := runDocbridge(t, []string{"DOCBRIDGE_TOKEN_KEY=" + testKey()}, args...)
				if code != 2 {
					t.Fatalf("exit %d, want 2\n%s", code, out)
				}
				want := "no docbridge store at " + dir
				if !strings.Contains(out, want) || !strings.Contains(out, "give the data directory of serve") {
					t.Errorf("output does not say %q and what to give instead:\n%s", want, out)
				}
				if strings.Contains(out, "chain intact") {
					t.Errorf("output claims an intact chain:\n%s", out)
				}
				entries, err := os.ReadDir(dir)
				if dirCase == "missing" && !errors.Is(err, os.ErrNotExist) {
					t.Errorf("%s was created", dir)
				}
				if dirCase == "empty" && len(entries) != 0 {
					t.Errorf("%s holds %d entries after a refusal, want none", dir, len(entries))
				}
			})
		}
	}
}

// TestOperatorDataIsServesDataDirectory: the directory serve's
// configuration names as data: is what --data takes, and demo's --data is
// that directory too.
func TestOperatorDataIsServesDataDirectory(t *testing.T) {
	dir := t.TempDir()
	code, out := runDocbridge(t, nil, "demo", "--data", dir, "--timeout", "2m")
	if code != 0 {
		t.Fatalf("demo: exit %d\n%s", code, out)
	}
	code, out = runDocbridge(t, nil, "audit", "verify", "--data", dir)
	if code != 0 || strings.Contains(out, " 0 records") {
		t.Fatalf("audit verify --data on demo's directory: exit %d, want 0 with records\n%s", code, out)
	}
	code, out = runDocbridge(t, nil, "queue", "list", "--data", dir)
	if code != 0 || !strings.Contains(out, "delivered") {
		t.Errorf("queue list --data on demo's directory: exit %d, want delivered documents\n%s", code, out)
	}
}

// operatorConfig writes a configuration with data in dir/data and the
// extra YAML, and returns its path.
func operatorConfig(t *testing.T, dir, extra string) string {
	t.Helper()
	cfg := filepath.Join(dir, "docbridge.yaml")
	body := "environment: test\ndata: data\nlog: {format: json}\nmes: {base_url: 'http://127.0.0.1:9'}\n" + extra
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestConfigCheckRefusesWhatServeRefuses: each case is refused by config
// check with its field named (exit 2), and serve refuses it the same way
// before it starts anything.
func TestConfigCheckRefusesWhatServeRefuses(t *testing.T) {
	port := freePort(t)
	_, p, _ := net.SplitHostPort(port)
	tests := []struct {
		name, extra, field string
	}{
		{"missing FHIR tokens file", fmt.Sprintf("fhir: {addr: %q, tokens_file: tokens.txt}\n", freePort(t)), "fhir.tokens_file"},
		{"one port for MLLP and console", fmt.Sprintf("mllp:\n  - {addr: %q}\nadmin: {addr: '0.0.0.0:%s'}\n", port, p), "admin.addr: port " + p + " is also mllp[0].addr"},
		{"one port for FHIR and pairing", fmt.Sprintf("fhir: {addr: %q, tokens_file: docbridge.yaml}\npairing: {addr: %q, public_url: 'http://x'}\n", port, port), "pairing.addr: port " + p + " is also fhir.addr"},
		{"MES base URL without scheme", "mes: {base_url: mes.example.fr/api}\n", `mes.base_url: "mes.example.fr/api" is not an absolute URL`},
		{"drop folder that cannot be created", "folders:\n  - {path: docbridge.yaml/drop}\n", "folders[0].path: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := operatorConfig(t, dir, tt.extra)
			if strings.Contains(tt.name, "base URL") { // replaces the default mes:
				os.WriteFile(cfg, []byte("environment: test\ndata: data\n"+tt.extra), 0o600)
			}
			code, out := runDocbridge(t, nil, "config", "check", "-c", cfg)
			if code != 2 || !strings.Contains(out, tt.field) {
				t.Errorf("config check: exit %d, want 2 naming %q\n%s", code, tt.field, out)
			}
			code, out = runDocbridge(t, nil, "serve", "-c", cfg)
			if code != 2 || !strings.Contains(out, tt.field) {
				t.Errorf("serve: exit %d, want 2 naming %q\n%s", code, tt.field, out)
			}
		})
	}
	t.Run("valid", func(t *testing.T) {
		dir := t.TempDir()
		cfg := operatorConfig(t, dir, fmt.Sprintf("mllp:\n  - {addr: %q}\nfolders:\n  - {path: drop}\n", freePort(t)))
		if code, out := runDocbridge(t, nil, "config", "check", "-c", cfg); code != 0 {
			t.Errorf("config check of a valid configuration: exit %d\n%s", code, out)
		}
	})
}

// waitForLog waits until the file log holds want.
func waitForLog(t *testing.T, log, want string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if b, _ := os.ReadFile(log); bytes.Contains(b, []byte(want)) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	b, _ := os.ReadFile(log)
	t.Fatalf("%s never said %q:\n%s", log, want, b)
}

// TestSecondServeOnOneSQLiteStoreRefused: a second serve on the store of a
// running one is refused whatever its instance name, and so is a real bulk
// run; operator commands work beside it; killing the first frees the store.
func TestSecondServeOnOneSQLiteStoreRefused(t *testing.T) {
	dir := t.TempDir()
	first := operatorConfig(t, dir, "instance: node1\nfolders:\n  - {path: drop}\n")
	log := filepath.Join(dir, "first.log")
	cmd := startChild(t, log, "serve", "-c", first)
	waitForLog(t, log, "docbridge serving")

	second := filepath.Join(dir, "second.yaml")
	os.WriteFile(second, []byte("environment: test\ndata: data\nmes: {base_url: 'http://127.0.0.1:9'}\ninstance: node2\n"), 0o600)
	code, out := runDocbridge(t, nil, "serve", "-c", second)
	if code != 2 || !strings.Contains(out, "in use by docbridge serve (pid ") || !strings.Contains(out, "instance") {
		t.Fatalf("second serve: exit %d, want 2 naming the running serve\n%s", code, out)
	}
	archive := t.TempDir()
	code, out = runDocbridge(t, nil, "bulk", archive, "-c", second)
	if code != 2 || !strings.Contains(out, "Stop serve during the bulk run") {
		t.Errorf("bulk beside serve: exit %d, want 2 saying to stop serve\n%s", code, out)
	}
	if code, out := runDocbridge(t, nil, "bulk", archive, "--dry-run", "-c", second); code != 0 {
		t.Errorf("bulk --dry-run beside serve: exit %d, want 0\n%s", code, out)
	}
	for _, c := range [][]string{{"queue", "list"}, {"audit", "verify"}, {"pair", "list"}} {
		if code, out := runDocbridge(t, nil, append(c, "--data", filepath.Join(dir, "data"))...); code != 0 {
			t.Errorf("%s beside serve: exit %d, want 0\n%s", strings.Join(c, " "), code, out)
		}
	}

	cmd.Process.Kill() // no clean shutdown: the system releases the lock
	cmd.Wait()
	log2 := filepath.Join(dir, "second.log")
	startChild(t, log2, "serve", "-c", second)
	waitForLog(t, log2, "docbridge serving")
}

// TestConfigErrorsInUserTerms: YAML mistakes are reported with the line
// and key as written, never with Go type names.
func TestConfigErrorsInUserTerms(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{"unknown key", "folder:\n  - {path: drop}\n", []string{`line 5: unknown key "folder" (did you mean "folders"?)`}},
		{"nested unknown key", "mes: {base_ur: 'http://x'}\n", []string{`mes: unknown key "base_ur" (did you mean "base_url"?)`}},
		{"duration without unit", "folders:\n  - {path: drop, settle: 2}\n", []string{`line 6: folders[0].settle: 2 is not a duration: write it with a unit, e.g. 2s`}},
		{"number that is not", "limits: {max_input_bytes: lots}\n", []string{`limits.max_input_bytes: lots is not a whole number`}},
		{"list wanted", "folders: drop\n", []string{`folders: want a list`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := operatorConfig(t, dir, tt.yaml)
			code, out := runDocbridge(t, nil, "config", "check", "-c", cfg)
			if code != 2 {
				t.Errorf("exit %d, want 2\n%s", code, out)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, goName := range []string{"main.", "time.Duration", "!!int", "in type"} {
				if strings.Contains(out, goName) {
					t.Errorf("output names Go's %q:\n%s", goName, out)
				}
			}
		})
	}
}

// testKey is a token key in base64.
func testKey() string {
	return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, store.TokenKeySize))
}

// TestPairCommandsKeyAndArguments: pair list needs no key (it shows no
// token); pair import reports a bad argument before a missing key; the
// missing key's message names the variable; --env still works.
func TestPairCommandsKeyAndArguments(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "docbridge.yaml")
	os.WriteFile(cfg, []byte("data: data\nmes: {base_url: 'http://127.0.0.1:9'}\n"), 0o600) // production
	b, _ := os.ReadFile("../../samples/pairings.json")
	var ps []docbridge.Pairing
	if err := json.Unmarshal(b, &ps); err != nil || len(ps) == 0 {
		t.Fatalf("samples/pairings.json: %v", err)
	}
	for i := range ps {
		ps[i].AccessToken = "token-" + ps[i].ID
	}
	b, _ = json.Marshal(ps)
	pf := filepath.Join(dir, "pairings.json")
	os.WriteFile(pf, b, 0o600)
	withKey := []string{"DOCBRIDGE_TOKEN_KEY=" + testKey()}

	code, out := runDocbridge(t, nil, "pair", "import", "-c", cfg, filepath.Join(dir, "nowhere.json"))
	if code != 2 || !strings.Contains(out, "nowhere.json") {
		t.Errorf("import of a missing file without a key: exit %d, want 2 naming the file\n%s", code, out)
	}
	// Production (the configuration's): the samples' test INS are refused
	// before the key is asked for; a production INS reaches the key.
	code, out = runDocbridge(t, nil, "pair", "import", "-c", cfg, pf)
	if code != 2 || !strings.Contains(out, "ins-test-oid") {
		t.Errorf("import of test INS in production without a key: exit %d, want 2 naming ins-test-oid\n%s", code, out)
	}
	prod := append([]docbridge.Pairing(nil), ps...)
	for i := range prod {
		prod[i].Patient.INSSystem = "urn:oid:1.2.250.1.213.1.4.8"
	}
	pb, _ := json.Marshal(prod)
	prodFile := filepath.Join(dir, "production.json")
	os.WriteFile(prodFile, pb, 0o600)
	code, out = runDocbridge(t, nil, "pair", "import", "-c", cfg, prodFile)
	if code != 2 || !strings.Contains(out, "DOCBRIDGE_TOKEN_KEY environment variable") {
		t.Errorf("import without a key: exit %d, want 2 naming DOCBRIDGE_TOKEN_KEY\n%s", code, out)
	}
	if code, out := runDocbridge(t, withKey, "pair", "import", "--env", "test", "-c", cfg, pf); code != 0 {
		t.Fatalf("import with the key (--env alias): exit %d\n%s", code, out)
	}
	code, out = runDocbridge(t, nil, "pair", "import", "--data", filepath.Join(dir, "data"), prodFile)
	if code != 2 || !strings.Contains(out, "the DOCBRIDGE_TOKEN_KEY environment variable") {
		t.Errorf("import --data without a key: exit %d, want 2 naming DOCBRIDGE_TOKEN_KEY\n%s", code, out)
	}
	code, out = runDocbridge(t, nil, "pair", "list", "-c", cfg)
	if code != 0 || !strings.Contains(out, ps[0].ID) {
		t.Errorf("pair list without the key: exit %d, want 0 listing %s\n%s", code, ps[0].ID, out)
	}
	if strings.Contains(out, ps[0].AccessToken) {
		t.Errorf("pair list shows a token:\n%s", out)
	}
	_, help := runDocbridge(t, nil, "pair", "import", "--help")
	if !strings.Contains(help, "-environment") || strings.Contains(help, "-env ") {
		t.Errorf("pair import --help lists -env, or not -environment:\n%s", help)
	}
}

// TestOperatorArgumentErrorsFirst: what is wrong with the arguments is
// said before anything about the store or the key, so that fixing one
// does not reveal the other.
func TestOperatorArgumentErrorsFirst(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "typo")
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"queue", "retry", "--data", missing}, "say which documents"},
		{[]string{"queue", "release", "--since", "yesterday", "--data", missing}, "--since"},
		{[]string{"queue", "reconvert", "-c", "../../samples/docbridge.yaml"}, "say which documents"},
		{[]string{"queue", "review", "--data", missing}, "queue review needs --id"},
		{[]string{"pair", "revoke", "--data", missing}, "pair revoke needs --id"},
		{[]string{"pair", "import", "--data", missing}, "pair import takes one PAIRINGS.json"},
		{[]string{"pair", "import", "--environment", "staging", "--data", missing, "p.json"}, `--environment "staging" is not production or test`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args[:2], " "), func(t *testing.T) {
			code, out := runDocbridge(t, nil, tt.args...)
			if code != 2 || !strings.Contains(out, tt.want) {
				t.Errorf("exit %d, want 2 saying %q\n%s", code, tt.want, out)
			}
		})
	}
	if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s was created", missing)
	}
}
