package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/audit"
)

// Pairings are stored one row per pairing ID, with the paired identity as
// JSON, its INS and MES patient id in columns of their own for the
// lookups, and the access and refresh tokens encrypted when the store has
// a key (tokencrypt.go).

// PutPairing inserts pairing p, or replaces every field of the pairing with
// the same ID. A zero p.CreatedAt means now. p.ID is required. It appends
// a pairing.created, pairing.updated or pairing.revoked audit record with
// the pairing id only (actor audit.ActorFrom(ctx, "docbridge")).
func (s *Store) PutPairing(ctx context.Context, p docbridge.Pairing) error {
	if p.ID == "" {
		return errors.New("store: put pairing: no id")
	}
	patient, err := json.Marshal(p.Patient)
	if err != nil {
		return fmt.Errorf("store: put pairing %s: encode patient: %w", p.ID, err)
	}
	now := s.now()
	created := p.CreatedAt
	if created.IsZero() {
		created = now
	}
	access := s.box.seal(p.ID, "access_token", p.AccessToken)
	refresh := s.box.seal(p.ID, "refresh_token", p.RefreshToken)
	err = s.inAuditTx(ctx, func(ctx context.Context, tx auditTx) error {
		kind := audit.PairingCreated
		var wasRevoked bool
		switch err := tx.QueryRowContext(ctx, `SELECT revoked FROM pairings WHERE id = ?`, p.ID).Scan(&wasRevoked); {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return err
		case p.Revoked && !wasRevoked:
			kind = audit.PairingRevoked
		default:
			kind = audit.PairingUpdated
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO pairings
	(id, mes_patient, ins, patient, access_token, refresh_token, expires_at, revoked, created_at, updated_at, scopes)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (id) DO UPDATE SET
	mes_patient = excluded.mes_patient, ins = excluded.ins, patient = excluded.patient,
	access_token = excluded.access_token, refresh_token = excluded.refresh_token,
	expires_at = excluded.expires_at, revoked = excluded.revoked,
	created_at = excluded.created_at, updated_at = excluded.updated_at, scopes = excluded.scopes`,
			p.ID, p.MESPatient, p.Patient.INS, string(patient), access, refresh, nanos(p.ExpiresAt), bit(p.Revoked),
			nanos(created), nanos(now), strings.Join(p.Scopes, " "))
		if err != nil {
			return err
		}
		msg := ""
		if p.Revoked {
			msg = "the pairing is revoked"
		}
		return appendAudit(ctx, tx, &audit.Record{Kind: kind, Actor: audit.ActorFrom(ctx, "docbridge"),
			PairingID: p.ID, Message: msg}, nanos(now))
	})
	if err != nil {
		return fmt.Errorf("store: put pairing %s: %w", p.ID, err)
	}
	return nil
}

const pairingCols = `id, mes_patient, patient, access_token, refresh_token, expires_at, revoked, created_at, scopes`

// scanPairing reads one row of pairingCols and decrypts its tokens.
func (s *Store) scanPairing(sc interface{ Scan(...any) error }) (docbridge.Pairing, error) {
	var p docbridge.Pairing
	var patient, access, refresh, scopes string
	var expires, created int64
	if err := sc.Scan(&p.ID, &p.MESPatient, &patient, &access, &refresh, &expires, &p.Revoked, &created, &scopes); err != nil {
		return docbridge.Pairing{}, err
	}
	if scopes != "" {
		p.Scopes = strings.Fields(scopes)
	}
	p.CreatedAt = fromNanos(created)
	if expires != 0 {
		p.ExpiresAt = fromNanos(expires)
	}
	if err := json.Unmarshal([]byte(patient), &p.Patient); err != nil {
		return docbridge.Pairing{}, fmt.Errorf("decode patient of pairing %s: %w", p.ID, err)
	}
	var err error
	if p.AccessToken, err = s.box.open(p.ID, "access_token", access); err != nil {
		return docbridge.Pairing{}, err
	}
	if p.RefreshToken, err = s.box.open(p.ID, "refresh_token", refresh); err != nil {
		return docbridge.Pairing{}, err
	}
	return p, nil
}

// queryPairings runs a query selecting pairingCols.
func (s *Store) queryPairings(ctx context.Context, query string, args ...any) ([]docbridge.Pairing, error) {
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []docbridge.Pairing
	for rows.Next() {
		p, err := s.scanPairing(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// Pairings lists all pairings, revoked ones included, oldest first. It
// fails with ErrNoTokenKey when tokens are encrypted and the store has no
// key.
func (s *Store) Pairings(ctx context.Context) ([]docbridge.Pairing, error) {
	out, err := s.queryPairings(ctx, `SELECT `+pairingCols+` FROM pairings ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("store: list pairings: %w", err)
	}
	return out, nil
}

// Pairing returns the pairing with this id, or ErrNotFound.
func (s *Store) Pairing(ctx context.Context, id string) (docbridge.Pairing, error) {
	p, err := s.scanPairing(s.r.QueryRowContext(ctx, `SELECT `+pairingCols+` FROM pairings WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return docbridge.Pairing{}, ErrNotFound
	}
	if err != nil {
		return docbridge.Pairing{}, fmt.Errorf("store: read pairing %s: %w", id, err)
	}
	return p, nil
}

// PairingsByINS returns every pairing, live or revoked, whose patient has
// this INS, oldest first. An empty ins matches nothing. The caller decides
// what several live pairings mean (identity.Matcher: a conflict for a
// person, never a guess).
func (s *Store) PairingsByINS(ctx context.Context, ins string) ([]docbridge.Pairing, error) {
	if ins == "" {
		return nil, nil
	}
	out, err := s.queryPairings(ctx, `SELECT `+pairingCols+` FROM pairings WHERE ins = ? ORDER BY created_at, id`, ins)
	if err != nil {
		return nil, fmt.Errorf("store: find pairings by INS: %w", err)
	}
	return out, nil
}

// PairingByMESPatient returns the most recently created pairing, live or
// revoked, of this MES patient, and whether there is one: a patient who
// pairs again renews their pairing rather than adding one.
func (s *Store) PairingByMESPatient(ctx context.Context, mesPatient string) (docbridge.Pairing, bool, error) {
	if mesPatient == "" {
		return docbridge.Pairing{}, false, nil
	}
	p, err := s.scanPairing(s.r.QueryRowContext(ctx, `SELECT `+pairingCols+` FROM pairings
	WHERE mes_patient = ? ORDER BY created_at DESC, id DESC LIMIT 1`, mesPatient))
	if errors.Is(err, sql.ErrNoRows) {
		return docbridge.Pairing{}, false, nil
	}
	if err != nil {
		return docbridge.Pairing{}, false, fmt.Errorf("store: find pairing by MES patient: %w", err)
	}
	return p, true, nil
}

// PairingByINS returns the live (not revoked) pairing whose patient has
// this INS and whether there is exactly one. Several live pairings for
// one INS give ok false and ErrPairingConflict: nothing is chosen. An empty
// ins matches nothing.
func (s *Store) PairingByINS(ctx context.Context, ins string) (docbridge.Pairing, bool, error) {
	ps, err := s.PairingsByINS(ctx, ins)
	if err != nil {
		return docbridge.Pairing{}, false, err
	}
	var live []docbridge.Pairing
	for _, p := range ps {
		if !p.Revoked {
			live = append(live, p)
		}
	}
	switch len(live) {
	case 0:
		return docbridge.Pairing{}, false, nil
	case 1:
		return live[0], true, nil
	}
	return docbridge.Pairing{}, false, ErrPairingConflict
}

// ErrPairingConflict says that several live pairings claim one INS.
var ErrPairingConflict = docbridge.Errorf(docbridge.PairingConflict,
	"several live pairings claim this INS: revoke the wrong one (docbridge pair revoke) before anything is sent")

// PairingsVersion returns a value that changes whenever a pairing is added,
// revoked or renewed (count, revoked count, last update), without reading
// or decrypting any token: the match stage polls it to know when to look at
// documents held for a pairing again.
func (s *Store) PairingsVersion(ctx context.Context) (string, error) {
	var n, revoked, last int64
	err := s.r.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(revoked), 0), COALESCE(MAX(updated_at), 0) FROM pairings`).
		Scan(&n, &revoked, &last)
	if err != nil {
		return "", fmt.Errorf("store: pairings version: %w", err)
	}
	return fmt.Sprintf("%d/%d/%d", n, revoked, last), nil
}
