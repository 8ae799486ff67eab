package mappings

import (
	"bytes"
	"fmt"
	"path"
	"strings"
)

// table is what one data file holds: the members of a value set (or code
// system), or the pairs of a concept map. Parsers fill it; merge.go combines
// tables that share a name.
type table struct {
	file    string   // the file's name in error messages
	name    string   // short name: "JDV_J07", "TRE_A03", "ASS_X04"
	aliases []string // other names callers may use: full name, OID, urn:oid, URL
	isMap   bool

	concepts []member // value sets and code systems
	pairs    []pair   // concept maps
}

// member is one code of a value set, with where the file gave it.
type member struct {
	key     conceptKey
	display string
	at      string // "line 12", "compose.include[0].concept[3]"
}

// pair is one source → target row of a concept map.
type pair struct {
	src, dst conceptKey
	at       string
}

// parseData parses one data file, choosing the parser from its extension.
func parseData(f dataFile) (*table, error) {
	var (
		t    *table
		err  error
		name = f.name
	)
	data := bytes.TrimPrefix(f.data, []byte("\xef\xbb\xbf")) // a UTF-8 BOM from a Windows editor
	switch strings.ToLower(path.Ext(f.base)) {
	case ".xml":
		t, err = parseSVS(data)
	case ".json":
		t, err = parseFHIR(data)
	default:
		return nil, fmt.Errorf("parse %s: not a .xml or .json data file", name)
	}
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", name, err)
	}
	t.file = name
	if t.name == "" {
		t.name = shortName(strings.TrimSuffix(f.base, path.Ext(f.base)))
	}
	if t.isMap && len(t.pairs) == 0 {
		return nil, fmt.Errorf("parse %s: concept map %s has no pairs", name, t.name)
	}
	if !t.isMap && len(t.concepts) == 0 {
		return nil, fmt.Errorf("parse %s: value set %s has no concepts", name, t.name)
	}
	return t, nil
}

// shortName reduces a NOS resource name to its table number: the first two
// tokens separated by "_" or "-", joined by "_". "JDV_J07_XdsTypeCode_CISIS"
// and "JDV-J07-XdsTypeCode-CISIS" give "JDV_J07"; "ASS_A11-CorresModeleCDA…"
// gives "ASS_A11"; "ASS_12_CorresMediaType…" gives "ASS_12".
func shortName(full string) string {
	full = strings.TrimSuffix(strings.TrimSpace(full), ".tabs")
	parts := strings.FieldsFunc(full, func(r rune) bool { return r == '_' || r == '-' })
	if len(parts) < 2 {
		return full
	}
	return parts[0] + "_" + parts[1]
}

// addAliases records a table's full name, OID and URL as names callers may
// use for it. oid may be bare or "urn:oid:…".
func (t *table) addAliases(full, oid, url string) {
	full = strings.TrimSuffix(strings.TrimSpace(full), ".tabs")
	if full != "" && full != t.name {
		t.aliases = append(t.aliases, full)
	}
	if oid = strings.TrimPrefix(strings.TrimSpace(oid), "urn:oid:"); isOID(oid) {
		t.aliases = append(t.aliases, oid, "urn:oid:"+oid)
	}
	if url = strings.TrimSpace(url); url != "" {
		t.aliases = append(t.aliases, url)
	}
}
