package packaging

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// TestDeb builds the .deb as `make package` does — the binary with its
// version stamped, then `go tool nfpm` — in a temporary tree, and checks
// its file list, its scripts and that the packaged binary says its version.
func TestDeb(t *testing.T) {
	if testing.Short() {
		t.Skip("package build skipped in -short mode")
	}
	if _, err := exec.LookPath("dpkg-deb"); err != nil {
		t.Skip("package build skipped: dpkg-deb not found to read the .deb (apt-get install dpkg)")
	}
	if out, err := exec.Command("go", "tool", "-n", "nfpm").CombinedOutput(); err != nil {
		t.Skipf("package build skipped: go tool nfpm is not available (%v): %s", err, out)
	}
	const version = "1.2.3+gittest"
	tree := t.TempDir()
	run := func(dir string, env []string, name string, args ...string) string {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
		return string(out)
	}
	run("..", []string{"CGO_ENABLED=0"}, "go", "build", "-trimpath", "-ldflags", "-s -w -X main.buildVersion="+version,
		"-o", filepath.Join(tree, "bin/docbridge"), "./cmd/docbridge")
	for _, f := range []string{"packaging/nfpm.yaml", "packaging/docbridge.yaml", "packaging/users.yaml", "packaging/postinstall.sh",
		"packaging/preremove.sh", "packaging/postremove.sh", "samples/docbridge.service", "README.md",
		"samples/pairings.json", "samples/cr-bio-n1-pdf.xml", "samples/lettre-liaison-sortie.xml"} {
		b, err := os.ReadFile(filepath.Join("..", f))
		if err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(filepath.Join(tree, filepath.Dir(f)), 0o755)
		if err := os.WriteFile(filepath.Join(tree, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.MkdirAll(filepath.Join(tree, "dist"), 0o755)
	// go tool runs in the module; nfpm reads its paths from the tree.
	nfpm := run("..", nil, "go", "tool", "-n", "nfpm")
	run(tree, []string{"VERSION=" + version, "GOARCH=amd64"}, strings.TrimSpace(nfpm), "package", "--config", "packaging/nfpm.yaml",
		"--packager", "deb", "--target", "dist/")
	debs, _ := filepath.Glob(filepath.Join(tree, "dist", "*.deb"))
	if len(debs) != 1 {
		t.Fatalf("dist holds %v, want one .deb", debs)
	}
	deb := debs[0]

	list := run(tree, nil, "dpkg-deb", "-c", deb)
	for _, want := range []string{"./usr/bin/docbridge", "./lib/systemd/system/docbridge.service", "./etc/docbridge/docbridge.yaml",
		"./etc/docbridge/users.yaml", "./usr/share/doc/docbridge/README.md", "./usr/share/docbridge/samples/pairings.json",
		"./usr/share/docbridge/samples/cr-bio-n1-pdf.xml"} {
		if !strings.Contains(list, want+"\n") {
			t.Errorf("the .deb lacks %s:\n%s", want, list)
		}
	}
	if strings.Contains(list, "token.key") {
		t.Error("the .deb ships a token key: each installation must create its own")
	}

	ctl := filepath.Join(tree, "control")
	run(tree, nil, "dpkg-deb", "-e", deb, ctl)
	for script, src := range map[string]string{"postinst": "postinstall.sh", "prerm": "preremove.sh", "postrm": "postremove.sh"} {
		got, err := os.ReadFile(filepath.Join(ctl, script))
		if err != nil {
			t.Errorf("the .deb has no %s: %v", script, err)
			continue
		}
		want, _ := os.ReadFile(src)
		if !bytes.Equal(got, want) {
			t.Errorf("the .deb's %s differs from %s", script, src)
		}
	}
	conffiles, _ := os.ReadFile(filepath.Join(ctl, "conffiles"))
	if !strings.Contains(string(conffiles), "/etc/docbridge/docbridge.yaml") {
		t.Errorf("docbridge.yaml is not a conffile: %q", conffiles)
	}
	control := run(tree, nil, "dpkg-deb", "-f", deb, "Version")
	if strings.TrimSpace(control) != version {
		t.Errorf("package version %q, want %q", control, version)
	}

	x := filepath.Join(tree, "x")
	run(tree, nil, "dpkg-deb", "-x", deb, x)
	bin := filepath.Join(x, "usr/bin/docbridge")
	if got := run(tree, nil, bin, "version"); strings.TrimSpace(got) != "docbridge "+version {
		t.Errorf("the packaged binary says %q, want docbridge %s", got, version)
	}

	// Installed (in the extracted tree as a test root), with the console
	// user the README's install section has one add, the packaged
	// configuration passes the check the unit runs before starting: the
	// key it names exists and the drop folder is there.
	a := testAccounts(t)
	runScript(t, x, a, filepath.Join(ctl, "postinst"), "configure")
	hash, err := bcrypt.GenerateFromPassword([]byte("install-test"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	users := fmt.Sprintf("users:\n  - {name: alice, password_hash: %q, role: operator}\n", hash)
	if err := os.WriteFile(filepath.Join(x, "etc/docbridge/users.yaml"), []byte(users), 0o640); err != nil {
		t.Fatal(err)
	}
	cfg, err := os.ReadFile(filepath.Join(x, "etc/docbridge/docbridge.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	rooted := strings.NewReplacer("/etc/docbridge/", x+"/etc/docbridge/", "/var/lib/docbridge/", x+"/var/lib/docbridge/").Replace(string(cfg))
	check := filepath.Join(x, "etc/docbridge/check.yaml")
	if err := os.WriteFile(check, []byte(rooted), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "config", "check", "-c", check).CombinedOutput(); err != nil {
		t.Errorf("config check of the packaged configuration, installed: %v\n%s", err, out)
	}
}
