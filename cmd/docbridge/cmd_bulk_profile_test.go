package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/mappings"
)

func TestLoadBulkProfile(t *testing.T) {
	maps, err := mappings.Load("")
	if err != nil {
		t.Fatal(err)
	}
	sample, err := os.ReadFile("../../samples/archive/practice-profile.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, yaml string
		wantErr    string // "" for none; else a part of the usage error
	}{
		{"the sample", string(sample), ""},
		{"empty", "", ""},
		{"a name", "name: x\nfacility_type: SA07\n", "name and when"},
		{"a selector", "when: {intake: drop}\n", "name and when"},
		{"unknown field", "facility: SA07\n", "facility"},
		{"bad facility type", "facility_type: SA99\n", `facility_type "SA99" is not a code of JDV_J02`},
		{"bad setting", "practice_setting: CABINET\n", "practice_setting"},
		{"bad specialty", "author: {id: \"810000000001\", name: Dr X, specialty: SM54}\n", "author.specialty"},
		{"custodian without id", "custodian: {name: Cabinet}\n", "custodian needs an id"},
		{"local document type", "document_type: CR-CONSULT\n", "document_type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := filepath.Join(t.TempDir(), "practice-profile.yaml")
			os.WriteFile(f, []byte(tt.yaml), 0o600)
			p, err := loadBulkProfile(f, maps)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("loadBulkProfile: %v", err)
				}
				if got, want := p.Name, "practice-profile"; got != want {
					t.Errorf("Name = %q, want %q (named after the file)", got, want)
				}
				return
			}
			if err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("loadBulkProfile error = %v (exit %d), want a usage error with %q", err, exitCode(err), tt.wantErr)
			}
		})
	}
}

func FuzzParseBulkProfile(f *testing.F) {
	maps, err := mappings.Load("")
	if err != nil {
		f.Fatal(err)
	}
	sample, _ := os.ReadFile("../../samples/archive/practice-profile.yaml")
	f.Add(sample)
	f.Add([]byte("name: x\nwhen: {intake: drop}\n"))
	f.Add([]byte("author: [1, 2]\ncustodian: 3\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := parseBulkProfile(b, "practice-profile.yaml", maps)
		switch {
		case err != nil && exitCode(err) != 2:
			t.Fatalf("error %v is not a usage error", err)
		case err == nil && (p.Name != "practice-profile" || p.When != (docbridge.ProfileSelector{})):
			t.Fatalf("profile %+v: want the file's name and no selector", p)
		}
	})
}

// TestMemberSystem checks the code system the run gives the profile
// author's specialty in the sidecars it writes.
func TestMemberSystem(t *testing.T) {
	maps, err := mappings.Load("")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := memberSystem(maps, mappings.AuthorSpecialty, "G15_10/SM54"), "urn:oid:1.2.250.1.213.1.1.4.5"; got != want {
		t.Errorf("memberSystem(JDV_J01, G15_10/SM54) = %q, want %q", got, want)
	}
	if got := memberSystem(maps, mappings.AuthorSpecialty, "NOPE"); got != "" {
		t.Errorf("memberSystem of an unknown code = %q, want none", got)
	}
}

func TestInvitationLinkProblem(t *testing.T) {
	for link, want := range map[string]string{
		"https://cabinet.example/docbridge/start": "",
		"http://127.0.0.1:8444/start":             "this machine only",
		"http://localhost/start":                  "this machine only",
		"":                                        "no pairing.public_url",
	} {
		if got := invitationLinkProblem(link); (want == "") != (got == "") || !strings.Contains(got, want) {
			t.Errorf("invitationLinkProblem(%q) = %q, want %q", link, got, want)
		}
	}
}

// TestBulkIndexUsageErrors checks that an index the command cannot take
// as a whole is a usage error (exit 2) that says what to do.
func TestBulkIndexUsageErrors(t *testing.T) {
	dir := t.TempDir()
	archive := filepath.Join(dir, "archive")
	writeTree(t, archive, map[string]string{"a.pdf": "%PDF-1.4\n"})
	tests := []struct {
		name, index string
		args        []string
		want        []string
	}{
		{"missing columns", "fichier;ins;sexe\n", nil,
			[]string{"birth_name", "first_names", "birth_date", "birth_place", "type_code", "creation", "ins_system", "author_name"}},
		{"windows-1252 named utf-8", "fichier;nom_naissance\n\xc9\n", []string{"--index-charset", "utf-8"}, []string{"--index-charset windows-1252"}},
		{"not text", "file,ins\n\x81\x00\n", nil, []string{"--index-charset"}},
		{"unknown charset", "file\n", []string{"--index-charset", "latin9"}, []string{"utf-8 or windows-1252"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			idx := filepath.Join(dir, "index.csv")
			os.WriteFile(idx, []byte(tt.index), 0o600)
			var out, errb bytes.Buffer
			args := append([]string{"bulk", archive, "--data", filepath.Join(dir, "data"), "--environment", "test", "--dry-run", "--index", idx}, tt.args...)
			err := run(context.Background(), args, &out, &errb)
			if exitCode(err) != 2 {
				t.Fatalf("bulk: %v (exit %d), want a usage error\n%s", err, exitCode(err), errb.String())
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o700)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}
