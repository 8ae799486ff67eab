package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/audit"
)

// Pairings are stored one row per pairing ID, with the paired identity as
// JSON and its INS in a column of its own for PairingByINS. The access
// token is stored in clear in this version (see the package documentation).

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
	err = s.inTx(ctx, func(tx *sql.Tx) error {
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
	(id, mes_patient, ins, patient, access_token, revoked, created_at, updated_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (id) DO UPDATE SET
	mes_patient = excluded.mes_patient, ins = excluded.ins, patient = excluded.patient,
	access_token = excluded.access_token, revoked = excluded.revoked,
	created_at = excluded.created_at, updated_at = excluded.updated_at`,
			p.ID, p.MESPatient, p.Patient.INS, string(patient), p.AccessToken, p.Revoked,
			nanos(created), nanos(now))
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

const pairingCols = `id, mes_patient, patient, access_token, revoked, created_at`

// scanPairing reads one row of pairingCols.
func scanPairing(sc interface{ Scan(...any) error }) (docbridge.Pairing, error) {
	var p docbridge.Pairing
	var patient string
	var created int64
	if err := sc.Scan(&p.ID, &p.MESPatient, &patient, &p.AccessToken, &p.Revoked, &created); err != nil {
		return docbridge.Pairing{}, err
	}
	p.CreatedAt = fromNanos(created)
	if err := json.Unmarshal([]byte(patient), &p.Patient); err != nil {
		return docbridge.Pairing{}, fmt.Errorf("decode patient of pairing %s: %w", p.ID, err)
	}
	return p, nil
}

// Pairings lists all pairings, revoked ones included, oldest first.
func (s *Store) Pairings(ctx context.Context) ([]docbridge.Pairing, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+pairingCols+` FROM pairings ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("store: list pairings: %w", err)
	}
	defer rows.Close()
	var out []docbridge.Pairing
	for rows.Next() {
		p, err := scanPairing(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list pairings: %w", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list pairings: %w", err)
	}
	return out, nil
}

// PairingByINS returns the live (not revoked) pairing whose patient has
// this INS, the most recently created one if there are several, and
// whether there is one. An empty ins matches nothing: a pairing without an
// INS is never found this way.
func (s *Store) PairingByINS(ctx context.Context, ins string) (docbridge.Pairing, bool, error) {
	if ins == "" {
		return docbridge.Pairing{}, false, nil
	}
	p, err := scanPairing(s.r.QueryRowContext(ctx, `SELECT `+pairingCols+` FROM pairings
	WHERE ins = ? AND revoked = 0 ORDER BY created_at DESC, id DESC LIMIT 1`, ins))
	if errors.Is(err, sql.ErrNoRows) {
		return docbridge.Pairing{}, false, nil
	}
	if err != nil {
		return docbridge.Pairing{}, false, fmt.Errorf("store: find pairing by INS: %w", err)
	}
	return p, true, nil
}
