package bulk

import (
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// IndexColumns are the required columns of the CSV index, in the order
// docbridge writes them.
var IndexColumns = []string{"file", "ins", "birth_name", "first_names", "birth_date", "sex", "birth_place", "type_code", "creation"}

// IndexOptional are the optional columns of the CSV index.
var IndexOptional = []string{"ins_system", "type_system", "title", "author_id", "author_name"}

// indexAliases maps a normalised header (see headerKey) to its column: the
// English names and the French names practice software writes.
var indexAliases = aliasTable()

func aliasTable() map[string]string {
	t := map[string]string{}
	for col, aliases := range map[string][]string{
		"file":        {"fichier", "nom_fichier", "chemin", "chemin_fichier", "path"},
		"ins":         {"matricule_ins", "ins_nir", "numero_ins"},
		"ins_system":  {"oid_ins", "systeme_ins", "ins_oid"},
		"birth_name":  {"nom_naissance", "nom_de_naissance"},
		"first_names": {"prenoms", "prenom", "prenoms_naissance", "prenoms_de_naissance", "liste_prenoms", "premier_prenom"},
		"birth_date":  {"date_naissance", "date_de_naissance", "ddn"},
		"sex":         {"sexe"},
		"birth_place": {"lieu_naissance", "lieu_de_naissance", "code_insee_naissance", "code_lieu_naissance", "insee_naissance"},
		"type_code":   {"code_type", "type", "type_document", "code_type_document"},
		"type_system": {"systeme_type", "code_systeme_type", "systeme_code_type"},
		"creation":    {"date_creation", "date_de_creation", "date", "date_document", "date_du_document"},
		"title":       {"titre", "intitule"},
		"author_id":   {"auteur_rpps", "rpps", "auteur_id", "rpps_auteur"},
		"author_name": {"auteur_nom", "auteur", "nom_auteur"},
	} {
		t[col] = col
		for _, a := range aliases {
			t[a] = col
		}
	}
	return t
}

// stripMarks removes combining marks after a canonical decomposition: "é"
// becomes "e".
var stripMarks = transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)

// headerKey normalises a header cell for comparison: lower case, without
// accents, runs of spaces, hyphens, dots and apostrophes as one "_".
func headerKey(h string) string {
	s, _, err := transform.String(stripMarks, strings.ToLower(strings.TrimSpace(h)))
	if err != nil {
		s = strings.ToLower(strings.TrimSpace(h))
	}
	var b strings.Builder
	sep := false
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if sep && b.Len() > 0 {
				b.WriteByte('_')
			}
			sep = false
			b.WriteRune(r)
			continue
		}
		sep = true
	}
	return b.String()
}

// indexHeader maps the header's cells to the columns they give, by index.
// Unknown cells are ignored. It returns an *IndexError when a required
// column is missing (listing every required and optional column) or when
// two cells give the same column.
func indexHeader(header []string) (map[string]int, error) {
	col := map[string]int{}
	for i, h := range header {
		c, ok := indexAliases[headerKey(h)]
		if !ok {
			continue
		}
		if j, dup := col[c]; dup {
			return nil, &IndexError{Msg: fmt.Sprintf("the index header gives the column %s twice (%q and %q): keep one", c,
				clip(strings.TrimSpace(header[j]), 40), clip(strings.TrimSpace(h), 40))}
		}
		col[c] = i
	}
	var missing []string
	for _, c := range IndexColumns {
		if _, ok := col[c]; !ok {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return nil, &IndexError{Msg: fmt.Sprintf("the index lacks the column(s) %s: its header must name %s (optional: %s; French names such as fichier, nom_naissance, prenoms, date_naissance, sexe, lieu_naissance, code_type, date_creation are accepted)",
			strings.Join(missing, ", "), strings.Join(IndexColumns, ", "), strings.Join(IndexOptional, ", "))}
	}
	return col, nil
}
