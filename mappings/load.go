package mappings

import (
	"embed"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
)

// The national data files. The .fsh copy of ASS_X16 and SOURCES.md sit in
// data/ too but are not embedded (see the package comment).
//
//go:embed data/*.xml data/*.json
var embedded embed.FS

// LocalCodesFile is the name of the operator's local-code map in the
// override directory (see LocalCode).
const LocalCodesFile = "local-codes.yaml"

// maxOverrideSize bounds one override file; the largest national file is
// under 100 KiB.
const maxOverrideSize = 16 << 20

// dataFile is one file to parse: its name in errors and its bytes.
type dataFile struct {
	base     string // file name, used to match overrides with embedded files
	name     string // "data/JDV_J07_….xml (embedded)" or the override's path
	data     []byte
	replaces string // for an override of an embedded file: the table it must define
}

// tableInName finds the table a NOS file name is about: "JDV_J07" in
// JDV_J07_XdsTypeCode_CISIS.xml, "JDV-J06" in ValueSet-JDV-J06-….json.
var tableInName = regexp.MustCompile(`(?:JDV|TRE|ASS)[-_][A-Z]*[0-9]+`)

// Load parses the embedded national tables, then the operator's override
// directory dir (skipped when dir is ""), and links them into a Set. It is
// the only function of this package that does I/O, and it reads each file
// once. An override directory that cannot be read, and an unreadable or
// invalid file in it, is an error that names the file and, where it can, the
// line or field. A Set lacking one of the value sets JDV_J07, J06, J10, J02,
// J04, J08 or one of the maps ASS_X04, ASS_A11, ASS_12 is an error too. The
// filename patterns are the embedded list unless dir holds its own
// filename-patterns.yaml.
func Load(dir string) (*Set, error) {
	files, err := embeddedFiles()
	if err != nil {
		return nil, err
	}
	var local *dataFile
	patterns := &dataFile{base: FilenamePatternsFile, name: "data/" + FilenamePatternsFile + " (embedded)", data: embeddedPatterns}
	if dir != "" {
		var over []dataFile
		var pat *dataFile
		over, local, pat, err = readOverrides(dir)
		if err != nil {
			return nil, err
		}
		if pat != nil {
			patterns = pat
		}
		files = applyOverrides(files, over)
	}
	tables := make([]*table, 0, len(files))
	for _, f := range files {
		t, err := parseData(f)
		if err != nil {
			return nil, fmt.Errorf("load mappings: %w", err)
		}
		if f.replaces != "" && t.name != f.replaces {
			return nil, fmt.Errorf("load mappings: %s defines %s but replaces the embedded file of %s", f.name, t.name, f.replaces)
		}
		tables = append(tables, t)
	}
	m, err := merge(tables)
	if err != nil {
		return nil, fmt.Errorf("load mappings: %w", err)
	}
	s, err := link(m)
	if err != nil {
		return nil, fmt.Errorf("load mappings: %w", err)
	}
	if local != nil {
		if s.local, err = s.parseLocalCodes(local.name, local.data); err != nil {
			return nil, fmt.Errorf("load mappings: %w", err)
		}
	}
	if s.patterns, err = s.parsePatterns(patterns.name, patterns.data); err != nil {
		return nil, fmt.Errorf("load mappings: %w", err)
	}
	return s, nil
}

// embeddedFiles returns the embedded data files, sorted by name.
func embeddedFiles() ([]dataFile, error) {
	entries, err := embedded.ReadDir("data")
	if err != nil {
		return nil, fmt.Errorf("read embedded data: %w", err)
	}
	files := make([]dataFile, 0, len(entries))
	for _, e := range entries {
		p := path.Join("data", e.Name())
		b, err := embedded.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("read embedded %s: %w", p, err)
		}
		files = append(files, dataFile{base: e.Name(), name: p + " (embedded)", data: b})
	}
	return files, nil
}

// readOverrides reads the data files, the local-code map and the
// filename-pattern list of dir, sorted by name. See the package comment for
// which files it reads.
func readOverrides(dir string) (data []dataFile, local, patterns *dataFile, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("read mappings override directory: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		ext := strings.ToLower(filepath.Ext(name))
		p := filepath.Join(dir, name)
		switch {
		case strings.HasPrefix(name, ".") || e.IsDir():
			continue
		case name == LocalCodesFile, name == FilenamePatternsFile:
		case ext == ".yaml" || ext == ".yml":
			return nil, nil, nil, fmt.Errorf("read mappings override %s: unknown YAML file (only %s and %s are read)", p, LocalCodesFile, FilenamePatternsFile)
		case ext != ".xml" && ext != ".json":
			continue
		}
		b, err := readFile(p)
		if err != nil {
			return nil, nil, nil, err
		}
		if b == nil { // a directory behind a symlink
			continue
		}
		f := dataFile{base: name, name: p, data: b}
		switch name {
		case LocalCodesFile:
			local = &f
		case FilenamePatternsFile:
			patterns = &f
		default:
			data = append(data, f)
		}
	}
	return data, local, patterns, nil
}

// readFile reads a regular file of at most maxOverrideSize bytes; it
// returns nil, nil for a directory.
func readFile(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("read mappings override: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read mappings override: %w", err)
	}
	if st.IsDir() {
		return nil, nil
	}
	b, err := io.ReadAll(io.LimitReader(f, maxOverrideSize+1))
	if err != nil {
		return nil, fmt.Errorf("read mappings override %s: %w", p, err)
	}
	if len(b) > maxOverrideSize {
		return nil, fmt.Errorf("read mappings override %s: larger than %d bytes", p, maxOverrideSize)
	}
	return b, nil
}

// applyOverrides replaces each embedded file by the override of the same
// name, in place, and appends the other overrides.
func applyOverrides(files, over []dataFile) []dataFile {
	out := make([]dataFile, 0, len(files)+len(over))
	byName := make(map[string]dataFile, len(over))
	for _, o := range over {
		byName[o.base] = o
	}
	for _, f := range files {
		if o, ok := byName[f.base]; ok {
			o.replaces = shortName(tableInName.FindString(f.base))
			f = o
			delete(byName, o.base)
		}
		out = append(out, f)
	}
	for _, o := range over {
		if _, ok := byName[o.base]; ok {
			out = append(out, o)
		}
	}
	return out
}
