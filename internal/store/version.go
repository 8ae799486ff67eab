package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/docbridge/docbridge"
)

// A document version is its uniqueId, its content, its action and what it
// replaces, and its metadata: two documents under one uniqueId that differ
// in any of these are two versions, never folded into one. The rules
// here say when two documents are the same version and which fields tell
// two versions apart; insertDocument applies them.

// versionFields is a document's metadata as compared between versions:
// its JSON fields, without the problems (what the checks found, which
// depends on the configuration of the day, not on the document) and the
// provenance (which names where a value came from, not the value).
func versionFields(d *docbridge.Document) (map[string]any, error) {
	b, err := json.Marshal(d)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	delete(m, "problems")
	delete(m, "provenance")
	return m, nil
}

// versionKey is the key of d's version, stored in documents.version_key:
// the hex SHA-256 of its versionFields as canonical JSON (sorted keys).
// Two documents with one uniqueId and one key are the same version; the
// unique index on (unique_id, version_key) keeps two transactions from
// recording one version twice.
func versionKey(d *docbridge.Document) (string, error) {
	m, err := versionFields(d)
	if err != nil {
		return "", fmt.Errorf("version key: %w", err)
	}
	b, err := json.Marshal(m)
	if err != nil {
		return "", fmt.Errorf("version key: %w", err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// contentFields are the fields that describe a version's content; a
// difference in any of them is reported once, as "content".
var contentFields = map[string]bool{"size": true, "sha1": true, "sha256": true}

// FieldDiff is one field in which two versions differ (named as
// versionDiff names it) and its value in each, as compact JSON ("" when
// absent; the content as its SHA-256 and size). The values are patient
// data: for the person deciding (console, queue review), never for logs.
type FieldDiff struct {
	Field string
	A, B  string
	// Profile is set when both versions took the field from a source
	// profile (Provenance "profile:…"): the operator changed the profile,
	// the source sent nothing different (a field from a bulk index row,
	// "index:…", is the source's).
	Profile bool
}

// CompareVersions returns the fields in which versions a and b differ,
// sorted by name, each once, with their values; nil when a and b are the
// same version. See versionDiff for what counts.
func CompareVersions(a, b *docbridge.Document) ([]FieldDiff, error) {
	fa, err := versionFields(a)
	if err != nil {
		return nil, err
	}
	fb, err := versionFields(b)
	if err != nil {
		return nil, err
	}
	var out []FieldDiff
	sameContent := a.SHA256 == b.SHA256 && a.Size == b.Size
	for _, k := range unionKeys(fa, fb) {
		va, vb := fa[k], fb[k]
		switch {
		case reflect.DeepEqual(va, vb):
		case contentFields[k]:
			if !slices.ContainsFunc(out, func(d FieldDiff) bool { return d.Field == "content" }) {
				out = append(out, FieldDiff{Field: "content", A: fmt.Sprintf("sha256 %s, %d bytes", a.SHA256, a.Size), B: fmt.Sprintf("sha256 %s, %d bytes", b.SHA256, b.Size)})
			}
		case (k == "creation" || k == "creationSource") && sameContent && a.Creation != "" && b.Creation != "":
		case fromProfile(a, k) && fromProfile(b, k):
			out = append(out, FieldDiff{Field: k, A: jsonText(va), B: jsonText(vb), Profile: true})
		case k == "patient":
			pa, _ := va.(map[string]any)
			pb, _ := vb.(map[string]any)
			for _, pk := range unionKeys(pa, pb) {
				if !reflect.DeepEqual(pa[pk], pb[pk]) {
					out = append(out, FieldDiff{Field: "patient." + pk, A: jsonText(pa[pk]), B: jsonText(pb[pk])})
				}
			}
		default:
			out = append(out, FieldDiff{Field: k, A: jsonText(va), B: jsonText(vb)})
		}
	}
	slices.SortFunc(out, func(x, y FieldDiff) int { return strings.Compare(x.Field, y.Field) })
	return out, nil
}

// fromProfile reports whether d's field (its JSON name) was filled by a
// source profile, not by the source (Document.Provenance).
func fromProfile(d *docbridge.Document, field string) bool {
	return strings.HasPrefix(d.Provenance[field], "profile:")
}

// jsonText is v as compact JSON, or "" for nil.
func jsonText(v any) string {
	if v == nil {
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// versionDiff returns the names of the fields in which the versions a and b
// differ, sorted, each once: a top-level metadata field by its JSON name,
// a patient field as "patient.<name>" (ins, insSystem, birthName, …), the
// content as "content". Values are never returned: the names are what a
// message may carry. It returns nil when a and b are the same version.
//
// One difference does not count: the creation time (creation,
// creationSource) of two versions with the same content when both have
// one. An HL7 v2 message carrying a bare PDF whose TXA-4, OBR-7 and OBX-14
// are empty takes its creation time from MSH-7, the time of the message,
// which a retransmission changes; the same bytes sent again are the same
// document. (MSH-10, the control id, gives no metadata.)
func versionDiff(a, b *docbridge.Document) ([]string, error) {
	diffs, err := CompareVersions(a, b)
	var out []string
	for _, d := range diffs {
		out = append(out, d.Field)
	}
	return out, err
}

// OtherVersion is another stored version of a document's uniqueId, and
// how it differs from the document.
type OtherVersion struct {
	Row   DocRow
	Diffs []FieldDiff // A: the document's value, B: the other version's
}

// OtherVersions returns the other versions of row's uniqueId that are not
// superseded, oldest first, each with the fields it differs in: what a
// person deciding a version-conflict review compares.
func (s *Store) OtherVersions(ctx context.Context, row DocRow) ([]OtherVersion, error) {
	rows, err := queryDocs(ctx, s.r, `SELECT `+docCols+` FROM documents WHERE unique_id = ? AND id <> ? AND state <> ? ORDER BY id`,
		row.UniqueID, row.ID, docbridge.Superseded)
	if err != nil {
		return nil, fmt.Errorf("store: other versions of document %d: %w", row.ID, err)
	}
	out := make([]OtherVersion, len(rows))
	for i, r := range rows {
		d, err := CompareVersions(row.Doc, r.Doc)
		if err != nil {
			return nil, fmt.Errorf("store: compare document %d with %d: %w", row.ID, r.ID, err)
		}
		out[i] = OtherVersion{Row: r, Diffs: d}
	}
	return out, nil
}

// sameVersion reports whether new is the same version as stored version
// d: no difference (versionDiff), or — when d moved on (neither unsent nor
// superseded) — differences only in fields both took from a source
// profile, so that a message sent again after the operator changed a
// profile stays a harmless duplicate. A stopped version differing only
// there is corrected: that is what converting again after fixing the
// profile does.
func sameVersion(d DocRow, new *docbridge.Document) (bool, error) {
	diffs, err := CompareVersions(d.Doc, new)
	if err != nil {
		return false, err
	}
	movedOn := !unsent(d) && d.State != docbridge.Superseded
	for _, f := range diffs {
		if !f.Profile || !movedOn {
			return false, nil
		}
	}
	return true, nil
}

// unionKeys returns the keys of a and b, sorted, each once.
func unionKeys(a, b map[string]any) []string {
	var keys []string
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// samePatient reports whether a and b name the same patient: the same INS
// and INS system and the same five strict traits, exactly as the sources
// wrote them (a difference in case or accents counts: a person decides).
func samePatient(a, b docbridge.Patient) bool {
	return a.INS == b.INS && a.INSSystem == b.INSSystem && a.BirthName == b.BirthName &&
		slices.Equal(a.FirstNames, b.FirstNames) && a.BirthDate == b.BirthDate &&
		a.Sex == b.Sex && a.BirthPlace == b.BirthPlace
}

// unsent reports whether stored version d stopped before it could reach
// MES: in review or failed, never attempted and with no MES id.
func unsent(d DocRow) bool {
	return (d.State == docbridge.Review || d.State == docbridge.Failed) && d.Attempts == 0 && d.MESID == ""
}

// versionVerdict is what insertDocument does with a new version of a
// stored uniqueId.
type versionVerdict struct {
	// corrects are the stored versions the new one corrects: they become
	// superseded.
	corrects []DocRow
	// conflict, when not "", is the message of the version-conflict review
	// the new version enters.
	conflict string
}

// judgeVersion decides what a new version d (not the same version as any
// stored one) of a uniqueId does to the live stored versions of that
// uniqueId (not superseded). A replacement or a deletion is declared by
// its source: it goes on, as the delivery stage orders versions. A
// creation that differs from stored versions corrects them when every one
// stopped before it could reach MES (unsent) and either failed (it was
// refused and will never be sent) or names the same patient; otherwise it
// is a conflict for a person, whose message names the other documents and
// the fields that differ. An appointment is never a conflict: every
// message about it is a new version of it, and the delivery stage sends
// the newest by the source's event time (docs/architecture.md §4).
func judgeVersion(d *docbridge.Document, live []DocRow) (versionVerdict, error) {
	if d.Action != docbridge.Create || len(live) == 0 || d.Kind == docbridge.KindAppointment {
		return versionVerdict{}, nil
	}
	correctable := true
	for _, l := range live {
		// A failed version was refused (the source was told so) and will
		// never be sent: its correction may name another patient (the
		// INS with a wrong check key, fixed). One in review may still be
		// confirmed and sent: only the same patient corrects it.
		if !unsent(l) || (l.State != docbridge.Failed && !samePatient(l.Doc.Patient, d.Patient)) {
			correctable = false
		}
	}
	if correctable {
		return versionVerdict{corrects: live}, nil
	}
	var ids, fields []string
	for _, l := range live {
		ids = append(ids, fmt.Sprintf("%d (%s)", l.ID, l.State))
		diff, err := versionDiff(l.Doc, d)
		if err != nil {
			return versionVerdict{}, err
		}
		for _, f := range diff {
			if !slices.Contains(fields, f) {
				fields = append(fields, f)
			}
		}
	}
	slices.Sort(fields)
	return versionVerdict{conflict: fmt.Sprintf(
		"another version of this document id is stored as document %s and differs in %s; the source did not declare a correction (replacement), so this one was not sent: compare both versions, reject this one, and have the source send it as a replacement (or delete the wrong one)",
		strings.Join(ids, ", "), strings.Join(fields, ", "))}, nil
}
