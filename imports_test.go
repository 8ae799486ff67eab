package docbridge_test

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/docbridge/docbridge"

// TestImportRules enforces the import rules of docs/architecture.md §2 with go list.
func TestImportRules(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go command not found")
	}
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Deps}} {{.}}{{end}}`, module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg, deps := strings.TrimPrefix(fields[0], module), fields[1:]
		for _, dep := range deps {
			if msg := forbidden(pkg, dep); msg != "" {
				t.Errorf("%s imports %s: %s", fields[0], dep, msg)
			}
		}
		checked++
	}
	if checked < 8 {
		t.Errorf("checked %d packages, want the whole module", checked)
	}
}

// forbidden says why package pkg (relative to the module, "" for the root)
// may not depend on dep, or "" when it may.
func forbidden(pkg, dep string) string {
	stdlib := !strings.Contains(strings.SplitN(dep, "/", 2)[0], ".")
	own := strings.HasPrefix(dep, module)
	rel := strings.TrimPrefix(dep, module)
	under := func(p, root string) bool { return p == root || strings.HasPrefix(p, root+"/") }
	if rel == "/internal/fhirschematest" || rel == "/convert/internal/golden" || rel == "/watch/internal/testpki" {
		return "test helpers (an embedded schema, golden files, a test PKI) stay out of the program: only tests import them"
	}
	switch {
	case pkg == "":
		if !stdlib {
			return "the root package imports only the standard library"
		}
	case under(pkg, "/hl7"):
		if !stdlib && !strings.HasPrefix(dep, "golang.org/x/text") {
			return "hl7 is a leaf: standard library and x/text only"
		}
	case under(pkg, "/sidecarname"):
		if !stdlib {
			return "sidecarname is a leaf: standard library only"
		}
	case under(pkg, "/traits"):
		if (!stdlib && !own && !strings.HasPrefix(dep, "golang.org/x/text")) || (own && rel != "") {
			return "traits is a leaf: standard library, x/text and the root package only"
		}
	case under(pkg, "/watch"), under(pkg, "/convert"), under(pkg, "/mes"), under(pkg, "/mappings"):
		if !own {
			return ""
		}
		switch {
		case rel == "":
		case under(rel, "/hl7"):
		case under(pkg, "/watch") && under(rel, "/sidecarname"):
		case under(pkg, "/convert") && (under(rel, "/convert") || under(rel, "/mappings") || under(rel, "/traits")):
		case under(pkg, "/watch") && under(rel, "/watch"):
		case under(pkg, "/mes") && under(rel, "/mes"):
		case under(pkg, "/mappings") && under(rel, "/mappings"):
		default:
			return "intake, converters, mappings and the MES client import only the root package (convert also mappings), never each other or internal/*"
		}
	case under(pkg, "/internal/conformance"):
		if own && rel != "" && !under(rel, "/mes") && !under(rel, "/traits") || under(rel, "/mes/messim") {
			return "the test book drives MES through docbridge's own client only (the root, mes, traits); the command wires the simulator"
		}
	case under(pkg, "/internal/metrics"):
		if under(rel, "/internal/admin") || under(rel, "/cmd") {
			return "metrics say what docbridge's state is; the console serves them and never the other way round"
		}
	case under(pkg, "/internal/operate"):
		if under(rel, "/internal/admin") || under(rel, "/internal/pipeline") || under(rel, "/internal/bulk") || under(rel, "/cmd") {
			return "operate is the one home of operator actions, below both its callers (the console, the command): it depends on the store and identity, never on a caller or a stage"
		}
	case under(pkg, "/internal"):
		if under(rel, "/cmd") {
			return "nothing imports the command"
		}
	}
	return ""
}
