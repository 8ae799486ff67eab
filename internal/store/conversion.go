package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/audit"
)

// NewDocument is one converted document and the state it enters.
type NewDocument struct {
	Doc     *docbridge.Document // UniqueID required; Content, Size and SHA256 must agree (or ContentIsInput, see RecordConversion)
	State   docbridge.State     // required
	Reason  docbridge.Reason
	Message string
}

// DocRef names the row a NewDocument became.
type DocRef struct {
	ID       int64
	Existing bool            // the same version (uniqueId, content and metadata) was stored already
	State    docbridge.State // the row's state after the call
	Reason   docbridge.Reason
	Message  string
}

// querier is what *sql.DB and *sql.Tx share for reads.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// RecordConversion records, in one transaction, the documents converted
// from input inputID and moves the input from Received to Converted. It
// returns one DocRef per NewDocument, in order.
//
// Each document's Content is stored content-addressed and made durable
// with the commit (inside the database up to InlineMax bytes, inline.go;
// in a content file fsynced before the commit above that); Doc.SHA256
// must be the hex SHA-256 of Doc.Content and Doc.Size its length, or
// nothing is recorded and an error is returned.
// A document with ContentIsInput set is the input itself: its content is
// already stored (the input's), nothing is written or hashed again, and its
// SHA256 and Size must be the input's.
// A document that is a version already stored (the same uniqueId, content
// and metadata, by an earlier input or earlier in docs) is not inserted
// again: its DocRef has Existing set and the existing row's id, state,
// reason and message. A new version of a stored uniqueId may correct the
// stored versions or stop in review as a conflict (insertDocument). Each
// new row gets an event
// ("" → State, actor "convert") and a document.created audit record, and
// is due at once; the input gets an input.converted audit record.
//
// RecordConversion is idempotent: when the input is already Converted it
// records nothing and returns the references the first call returned (with
// their current states), whatever docs holds. It returns an error wrapping
// ErrNotFound for an unknown input and ErrConflict for a Failed one.
func (s *Store) RecordConversion(ctx context.Context, inputID int64, docs []NewDocument) ([]DocRef, error) {
	refs, err := s.recordConversion(ctx, inputID, docs)
	if err != nil {
		return nil, fmt.Errorf("store: record conversion of input %d: %w", inputID, err)
	}
	return refs, nil
}

func (s *Store) recordConversion(ctx context.Context, inputID int64, docs []NewDocument) ([]DocRef, error) {
	// Cheap check first, so that a repeated call writes no content.
	var st docbridge.State
	var input contentRef
	err := s.r.QueryRowContext(ctx, `SELECT state, sha256, size FROM inputs WHERE id = ?`, inputID).Scan(&st, &input.sha, &input.size)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, ErrNotFound
	case err != nil:
		return nil, err
	case st == docbridge.Converted:
		return conversionRefs(ctx, s.r, inputID)
	case st != docbridge.Received:
		return nil, fmt.Errorf("input is %s: %w", st, ErrConflict)
	}

	p, err := s.storeDocuments(ctx, input, nil, docs)
	if err != nil {
		return nil, err
	}
	var refs []DocRef
	err = s.inAuditTxAfter(ctx, p.dirs, func(ctx context.Context, tx auditTx) error {
		st, err := inputState(ctx, tx.Tx, inputID)
		switch {
		case err != nil:
			return err
		case st == docbridge.Converted:
			refs, err = conversionRefs(ctx, tx, inputID)
			return err
		case st != docbridge.Received:
			return fmt.Errorf("input is %s: %w", st, ErrConflict)
		}
		refs, err = s.recordDocuments(ctx, tx, inputID, p)
		return err
	})
	return refs, err
}

// storedDocs are documents whose content is stored (durable but for the
// directory entries dirs, see placeContent; content of at most InlineMax
// bytes is inserted with the document's row), ready for recordDocuments.
type storedDocs struct {
	docs []NewDocument
	// Per document: its content's hex SHA-256, its metadata as JSON and its
	// versionKey, computed before the transaction that records them.
	shas, metas, keys []string
	dirs              []string // content subdirectories to fsync before the commit
	// in64 has, per document, where its inline content is found base64
	// in the input (findBase64), or nil: it is then stored as that
	// reference, not a second time. Nil when the input's bytes were not
	// at hand.
	in64 []*base64Ref
}

// base64Of returns where document i's content is found base64 in the
// input, or nil.
func (p storedDocs) base64Of(i int) *base64Ref {
	if i < len(p.in64) {
		return p.in64[i]
	}
	return nil
}

// storeDocuments checks docs (converted from the input whose content is
// input) and stores the content of each, as RecordConversion says.
// inputBytes, when not nil, are the input's bytes, stored inline: a
// document whose content they carry in base64 (the CDA in an HL7
// message) is then stored as a reference to them (findBase64).
func (s *Store) storeDocuments(ctx context.Context, input contentRef, inputBytes []byte, docs []NewDocument) (storedDocs, error) {
	p := storedDocs{docs: docs, shas: make([]string, len(docs)), metas: make([]string, len(docs)), keys: make([]string, len(docs))}
	if inputBytes != nil {
		p.in64 = make([]*base64Ref, len(docs))
	}
	for i, nd := range docs {
		var err error
		if p.shas[i], p.metas[i], err = checkDocument(nd, input); err != nil {
			return storedDocs{}, fmt.Errorf("document %d: %w", i, err)
		}
		if p.keys[i], err = versionKey(nd.Doc); err != nil {
			return storedDocs{}, fmt.Errorf("document %d: %w", i, err)
		}
	}
	for i, nd := range docs {
		if nd.Doc.ContentIsInput {
			continue // stored durably when the input was accepted
		}
		if inlined(nd.Doc.Size) {
			if inputBytes != nil {
				p.in64[i] = findBase64(inputBytes, input.sha, nd.Doc.Content)
			}
			continue // inserted with the document's row (insertDocument)
		}
		dir, err := s.putBytes(ctx, nd.Doc.Content, p.shas[i])
		if err != nil {
			return storedDocs{}, fmt.Errorf("store content of document %d: %w", i, err)
		}
		p.dirs = append(p.dirs, dir)
	}
	return p, nil
}

// recordDocuments records, in tx, p's documents as converted from input
// inputID, which is in Received, and moves the input to Converted, with
// the events and audit records RecordConversion describes. It returns one
// DocRef per document, in order.
func (s *Store) recordDocuments(ctx context.Context, tx auditTx, inputID int64, p storedDocs) ([]DocRef, error) {
	now := nanos(s.now())
	refs := make([]DocRef, len(p.docs))
	for i := range p.docs {
		var err error
		correctedBy := func(id int64) string { return fmt.Sprintf("corrected by document %d of input %d", id, inputID) }
		if refs[i], _, err = insertDocument(ctx, tx, inputID, p, i, now, correctedBy); err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO conversions (input_id, position, doc_id, existing) VALUES (?, ?, ?, ?)`,
			inputID, i, refs[i].ID, bit(refs[i].Existing)); err != nil {
			return nil, fmt.Errorf("document %d: link to input: %w", i, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE inputs SET state = ?, reason = '', message = '', updated_at = ? WHERE id = ?`,
		docbridge.Converted, now, inputID); err != nil {
		return nil, err
	}
	fresh := 0
	for _, r := range refs {
		if !r.Existing {
			fresh++
		}
	}
	err := appendAudit(ctx, tx, &audit.Record{Kind: audit.InputConverted, Actor: "convert", InputID: inputID,
		From: docbridge.Received, To: docbridge.Converted,
		Message: fmt.Sprintf("%d document(s), %d new", len(refs), fresh)}, now)
	return refs, err
}

// contentRef names stored content by its hex SHA-256 and size.
type contentRef struct {
	sha  string
	size int64
}

// checkDocument checks that nd can be recorded and returns its content's
// hex SHA-256 and its metadata as JSON. input is the content of the input
// the document was converted from.
func checkDocument(nd NewDocument, input contentRef) (sha, meta string, err error) {
	d := nd.Doc
	switch {
	case d == nil:
		return "", "", errors.New("no document")
	case d.UniqueID == "":
		return "", "", errors.New("no uniqueId")
	case nd.State == "":
		return "", "", errors.New("no state")
	case d.ContentIsInput:
		if strings.ToLower(d.SHA256) != input.sha || d.Size != input.size {
			return "", "", fmt.Errorf("content is the input, but sha256 %q and size %d are not the input's", d.SHA256, d.Size)
		}
		sha = input.sha
	case d.Size != int64(len(d.Content)):
		return "", "", fmt.Errorf("size is %d, content has %d bytes", d.Size, len(d.Content))
	}
	if !d.ContentIsInput {
		sum := sha256.Sum256(d.Content)
		sha = hex.EncodeToString(sum[:])
	}
	if strings.ToLower(d.SHA256) != sha {
		return "", "", fmt.Errorf("sha256 is %q, content hashes to %s", d.SHA256, sha)
	}
	b, err := json.Marshal(d)
	if err != nil {
		return "", "", fmt.Errorf("encode metadata: %w", err)
	}
	return sha, string(b), nil
}

// insertDocument inserts p's document i with its creation event, or
// returns the stored row that is the same version (same uniqueId, content and metadata, see
// sameVersion) with Existing set. A new version of a stored uniqueId is
// judged by judgeVersion: the stored versions it corrects become
// superseded, with the message correctedBy gives for the new row's id,
// and a conflicting one enters review with reason VersionConflict (unless
// it failed already: the most severe outcome wins).
func insertDocument(ctx context.Context, tx auditTx, inputID int64, p storedDocs, i int, now int64,
	correctedBy func(newID int64) string) (ref DocRef, corrected []int64, err error) {
	nd, sha, meta, key, in64 := p.docs[i], p.shas[i], p.metas[i], p.keys[i], p.base64Of(i)
	stored, err := queryDocs(ctx, tx, `SELECT `+docCols+` FROM documents WHERE unique_id = ? ORDER BY id`, nd.Doc.UniqueID)
	if err != nil {
		return DocRef{}, nil, err
	}
	var live []DocRow
	for _, d := range stored {
		same, err := sameVersion(d, nd.Doc)
		if err != nil {
			return DocRef{}, nil, err
		}
		if same {
			return DocRef{ID: d.ID, Existing: true, State: d.State, Reason: d.Reason, Message: d.Message}, nil, nil
		}
		if d.State != docbridge.Superseded {
			live = append(live, d)
		}
	}
	v, err := judgeVersion(nd.Doc, live)
	if err != nil {
		return DocRef{}, nil, err
	}
	// A measurement's correction or retraction is a conflict by nature:
	// its own reason says what a person must do about it.
	if v.conflict != "" && nd.State != docbridge.Failed && nd.Reason != docbridge.MeasurementCorrection {
		nd.State, nd.Reason, nd.Message = docbridge.Review, docbridge.VersionConflict, v.conflict
	}
	ref = DocRef{State: nd.State, Reason: nd.Reason, Message: nd.Message}
	err = tx.QueryRowContext(ctx, `INSERT INTO documents
	(input_id, unique_id, sha256, state, reason, message, attempts, next_attempt_at,
	 pairing_id, mes_id, meta, created_at, updated_at, version_key, kind)
	VALUES (?, ?, ?, ?, ?, ?, 0, ?, '', '', ?, ?, ?, ?, ?)
	ON CONFLICT (unique_id, version_key) DO NOTHING
	RETURNING id`,
		inputID, nd.Doc.UniqueID, sha, nd.State, nd.Reason, nd.Message, now, meta, now, now, key, nd.Doc.Kind).Scan(&ref.ID)
	if errors.Is(err, sql.ErrNoRows) {
		// The same version, recorded by a transaction that committed
		// after the read above (PostgreSQL).
		ref.Existing = true
		err = tx.QueryRowContext(ctx, `SELECT id, state, reason, message FROM documents WHERE unique_id = ? AND version_key = ?`,
			nd.Doc.UniqueID, key).Scan(&ref.ID, &ref.State, &ref.Reason, &ref.Message)
		return ref, nil, err
	}
	if err != nil {
		return ref, nil, err
	}
	switch {
	case in64 != nil:
		err = insertBase64Ref(ctx, tx.Tx, sha, *in64)
	case !nd.Doc.ContentIsInput && inlined(nd.Doc.Size):
		err = insertContent(ctx, tx.Tx, sha, nd.Doc.Content)
	}
	if err != nil {
		return ref, nil, err
	}
	actor := audit.ActorFrom(ctx, "convert")
	if err := insertEvent(ctx, tx.Tx, Event{DocID: ref.ID, To: nd.State, Reason: nd.Reason, Message: nd.Message, Actor: actor}, now); err != nil {
		return ref, nil, err
	}
	err = appendAudit(ctx, tx, &audit.Record{Kind: audit.DocumentCreated, Actor: actor, DocID: ref.ID, InputID: inputID,
		UniqueID: nd.Doc.UniqueID, To: nd.State, Reason: nd.Reason, Message: nd.Message}, now)
	if err != nil {
		return ref, nil, err
	}
	for _, old := range v.corrects {
		if err := transitionTx(ctx, tx, Transition{ID: old.ID, From: old.State, To: docbridge.Superseded,
			Message: correctedBy(ref.ID), Actor: actor}, fromNanos(now)); err != nil {
			return ref, nil, fmt.Errorf("supersede document %d: %w", old.ID, err)
		}
		corrected = append(corrected, old.ID)
	}
	return ref, corrected, nil
}

// conversionRefs returns what RecordConversion recorded for an input, with
// the documents' current states, except for a document recorded failed
// and superseded since (a corrected version replaced it here): it keeps
// the state, reason and message it was recorded with, so that a resend
// of the input is refused again as the first time.
func conversionRefs(ctx context.Context, q querier, inputID int64) ([]DocRef, error) {
	rows, err := q.QueryContext(ctx, `SELECT c.doc_id, c.existing, d.state, d.reason, d.message, e.to_state, e.reason, e.message
	FROM conversions c JOIN documents d ON d.id = c.doc_id
	LEFT JOIN events e ON e.id = (SELECT MIN(id) FROM events WHERE doc_id = d.id)
	WHERE c.input_id = ? ORDER BY c.position`, inputID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var refs []DocRef
	for rows.Next() {
		var r DocRef
		var st, reason, msg sql.NullString // the document's creation event
		if err := rows.Scan(&r.ID, &r.Existing, &r.State, &r.Reason, &r.Message, &st, &reason, &msg); err != nil {
			return nil, err
		}
		if r.State == docbridge.Superseded && docbridge.State(st.String) == docbridge.Failed {
			r.State, r.Reason, r.Message = docbridge.Failed, docbridge.Reason(reason.String), msg.String
		}
		refs = append(refs, r)
	}
	return refs, rows.Err()
}
