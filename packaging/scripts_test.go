package packaging

import (
	"encoding/base64"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// accounts are the existing user and groups a test root's files are given
// to: nobody:nogroup when the test runs as root (so that owners are really
// changed), else the current user and group.
type accounts struct {
	user, group, dropGroup, keyOwner string
	uid, gid, keyUID                 int
}

func testAccounts(t *testing.T) accounts {
	t.Helper()
	if os.Getuid() == 0 {
		if u, err := user.Lookup("nobody"); err == nil {
			if g, err := user.LookupGroup("nogroup"); err == nil {
				uid, _ := strconv.Atoi(u.Uid)
				gid, _ := strconv.Atoi(g.Gid)
				return accounts{user: "nobody", group: "nogroup", dropGroup: "nogroup", keyOwner: "root", uid: uid, gid: gid, keyUID: 0}
			}
		}
	}
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	g, err := user.LookupGroupId(u.Gid)
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return accounts{user: u.Username, group: g.Name, dropGroup: g.Name, keyOwner: u.Username, uid: uid, gid: gid, keyUID: uid}
}

// runScript runs a packaging script against root with dpkg's argument.
func runScript(t *testing.T, root string, a accounts, script string, args ...string) string {
	t.Helper()
	cmd := exec.Command("sh", append([]string{script}, args...)...)
	cmd.Env = append(os.Environ(), "DOCBRIDGE_ROOT="+root, "DOCBRIDGE_USER="+a.user, "DOCBRIDGE_GROUP="+a.group,
		"DOCBRIDGE_DROP_GROUP="+a.dropGroup, "DOCBRIDGE_KEY_OWNER="+a.keyOwner)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", script, args, err, out)
	}
	return string(out)
}

// wantFile checks path's mode and owner.
func wantFile(t *testing.T, path string, mode fs.FileMode, uid, gid int) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Errorf("%v", err)
		return
	}
	got := fi.Mode() & (fs.ModePerm | fs.ModeSetgid)
	if got != mode {
		t.Errorf("%s: mode %v, want %v", path, got, mode)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if int(st.Uid) != uid || int(st.Gid) != gid {
		t.Errorf("%s: owner %d:%d, want %d:%d", path, st.Uid, st.Gid, uid, gid)
	}
}

// TestInstallAndRemoveScripts runs postinstall, preremove and postremove in
// a test root: the directories, the drop folder and the key get their
// owners and modes; a second install keeps the key and repairs modes;
// removal and purge keep the data and the key.
func TestInstallAndRemoveScripts(t *testing.T) {
	root := t.TempDir()
	a := testAccounts(t)
	etc := filepath.Join(root, "etc/docbridge")
	if err := os.MkdirAll(etc, 0o755); err != nil {
		t.Fatal(err)
	}
	// dpkg unpacks the configuration before postinst runs.
	for _, f := range []string{"docbridge.yaml", "users.yaml"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(etc, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	runScript(t, root, a, "postinstall.sh", "configure")

	lib := filepath.Join(root, "var/lib/docbridge")
	wantFile(t, lib, 0o755, a.uid, a.gid)
	wantFile(t, filepath.Join(lib, "data"), 0o700, a.uid, a.gid)
	wantFile(t, filepath.Join(lib, "drop"), 0o770|fs.ModeSetgid, a.uid, a.gid)
	key := filepath.Join(etc, "token.key")
	wantFile(t, key, 0o640, a.keyUID, a.gid)
	wantFile(t, filepath.Join(etc, "docbridge.yaml"), 0o640, a.keyUID, a.gid)
	wantFile(t, filepath.Join(etc, "users.yaml"), 0o640, a.keyUID, a.gid)
	k1, err := os.ReadFile(key)
	if err != nil {
		t.Fatal(err)
	}
	if raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(k1))); err != nil || len(raw) != 32 {
		t.Errorf("token.key holds %d bytes (%v), want 32 in base64", len(raw), err)
	}
	if _, err := os.Stat(key + ".new"); !os.IsNotExist(err) {
		t.Errorf("a temporary key file is left: %v", err)
	}

	// The packaged configuration names the key the script creates.
	cfg, _ := os.ReadFile("docbridge.yaml")
	if !strings.Contains(string(cfg), "key_file: /etc/docbridge/token.key") || !strings.Contains(string(cfg), "path: /var/lib/docbridge/drop") {
		t.Errorf("docbridge.yaml does not name /etc/docbridge/token.key and the drop folder")
	}

	// Upgrade: the key is kept, modes changed by hand are put back.
	os.Chmod(filepath.Join(lib, "data"), 0o755)
	runScript(t, root, a, "postinstall.sh", "configure", "0.0.1")
	wantFile(t, filepath.Join(lib, "data"), 0o700, a.uid, a.gid)
	if k2, _ := os.ReadFile(key); string(k2) != string(k1) {
		t.Error("a second install replaced the token key")
	}

	// Removal and purge keep the data and the key.
	os.WriteFile(filepath.Join(lib, "data", "docbridge.db"), []byte("store"), 0o600)
	runScript(t, root, a, "preremove.sh", "remove")
	runScript(t, root, a, "postremove.sh", "remove")
	if out := runScript(t, root, a, "postremove.sh", "purge"); !strings.Contains(out, "kept") {
		t.Errorf("purge does not say the data is kept: %q", out)
	}
	for _, p := range []string{key, filepath.Join(lib, "data", "docbridge.db"), filepath.Join(lib, "drop")} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("after purge: %v", err)
		}
	}
}

// TestUnit checks the systemd unit the package installs: files docbridge
// creates stay readable by the drop group, the state directory can be
// traversed to reach the drop folder, and the unit checks the
// configuration before starting.
func TestUnit(t *testing.T) {
	b, err := os.ReadFile("../samples/docbridge.service")
	if err != nil {
		t.Fatal(err)
	}
	unit := string(b)
	for _, want := range []string{"UMask=0007", "StateDirectoryMode=0755", "User=docbridge", "SupplementaryGroups=docbridge-drop",
		"ExecStartPre=/usr/bin/docbridge config check -c /etc/docbridge/docbridge.yaml", "ReadWritePaths=/var/lib/docbridge"} {
		if !strings.Contains(unit, "\n"+want+"\n") {
			t.Errorf("the unit lacks %q", want)
		}
	}
}
