// Command gen writes a synthetic practice archive for the bulk command:
//
//	go run ./bench/bulk/gen -n 100000 -out DIR
//
// makes DIR/archive (the files and index.csv), DIR/pairings.json (the paired
// patients, with placeholder tokens, for `docbridge pair import`) and
// DIR/manifest.json (what was generated).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/docbridge/docbridge/internal/bulk/bulkgen"
)

func main() {
	n := flag.Int("n", 1000, "number of files")
	out := flag.String("out", "", "output `directory` (created)")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "gen: -out DIR is required")
		os.Exit(2)
	}
	m, err := bulkgen.Generate(bulkgen.Options{Dir: filepath.Join(*out, "archive"), Documents: *n})
	if err == nil {
		err = writeJSON(filepath.Join(*out, "pairings.json"), m.Pairings)
	}
	if err == nil {
		m.Pairings = nil
		err = writeJSON(filepath.Join(*out, "manifest.json"), m)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}
