package store

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/docbridge/docbridge/internal/audit"
)

// Pairing tokens at rest (docs/architecture.md §6, §9).
//
// With Options.TokenKey set, the access and refresh tokens of a pairing
// are stored as
//
//	enc:v1:<base64url without padding of nonce(12) || AES-256-GCM ciphertext+tag>
//
// with the additional data "docbridge pairing <id> <column>", so that a
// ciphertext copied to another pairing or column does not decrypt. Without
// a key, tokens are stored in clear (allowed only when the operator runs
// environment: test; cmd/docbridge enforces it). Open with a key encrypts
// the clear tokens it finds, in one transaction with one audit record per
// pairing.

// TokenKeySize is the size of Options.TokenKey: AES-256.
const TokenKeySize = 32

const tokenPrefix = "enc:v1:"

// ErrNoTokenKey is returned when an encrypted token must be read by a store
// opened without Options.TokenKey.
var ErrNoTokenKey = errors.New("pairing tokens are encrypted and no key was given (security.key_file or security.key_env)")

// tokenBox seals and opens pairing tokens; a nil aead stores them in clear.
type tokenBox struct{ aead cipher.AEAD }

func newTokenBox(key []byte) (tokenBox, error) {
	if key == nil {
		return tokenBox{}, nil
	}
	if len(key) != TokenKeySize {
		return tokenBox{}, fmt.Errorf("token key has %d bytes, want %d", len(key), TokenKeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return tokenBox{}, fmt.Errorf("token key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return tokenBox{}, fmt.Errorf("token key: %w", err)
	}
	return tokenBox{aead: aead}, nil
}

func tokenAD(pairingID, column string) []byte {
	return []byte("docbridge pairing " + pairingID + " " + column)
}

// seal returns the stored form of token. The empty token stays empty.
func (b tokenBox) seal(pairingID, column, token string) string {
	if b.aead == nil || token == "" {
		return token
	}
	nonce := make([]byte, b.aead.NonceSize(), b.aead.NonceSize()+len(token)+b.aead.Overhead())
	rand.Read(nonce) // never fails (crypto/rand)
	out := b.aead.Seal(nonce, nonce, []byte(token), tokenAD(pairingID, column))
	return tokenPrefix + base64.RawURLEncoding.EncodeToString(out)
}

// open returns the token of a stored value: clear values are returned as
// they are; encrypted ones need the key (ErrNoTokenKey) and must
// authenticate for this pairing and column.
func (b tokenBox) open(pairingID, column, stored string) (string, error) {
	enc, ok := strings.CutPrefix(stored, tokenPrefix)
	if !ok {
		return stored, nil
	}
	if b.aead == nil {
		return "", ErrNoTokenKey
	}
	raw, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil || len(raw) < b.aead.NonceSize()+b.aead.Overhead() {
		return "", fmt.Errorf("decrypt %s of pairing %s: malformed value", column, pairingID)
	}
	n := b.aead.NonceSize()
	plain, err := b.aead.Open(nil, raw[:n], raw[n:], tokenAD(pairingID, column))
	if err != nil {
		return "", fmt.Errorf("decrypt %s of pairing %s: wrong key or altered value: %w", column, pairingID, err)
	}
	return string(plain), nil
}

// encryptClearTokens encrypts every clear token in the pairings table, when
// the store has a key. Each pairing changed gets a pairing.updated audit
// record in the same transaction.
func (s *Store) encryptClearTokens(ctx context.Context) error {
	if s.box.aead == nil {
		return nil
	}
	// On SQLite, secure_delete zeroes the space the clear tokens leave;
	// the checkpoint then writes the pages back into the database file and
	// empties the WAL, so no clear copy stays on disk (sqlite.go). On
	// PostgreSQL old row versions stay until vacuumed (postgres.go).
	if err := s.eng.scrubBegin(ctx, s); err != nil {
		return err
	}
	changed := 0
	err := s.inAuditTx(ctx, func(ctx context.Context, tx auditTx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, access_token, refresh_token FROM pairings
	WHERE (access_token <> '' AND access_token NOT LIKE 'enc:v1:%')
	   OR (refresh_token <> '' AND refresh_token NOT LIKE 'enc:v1:%')`)
		if err != nil {
			return fmt.Errorf("find clear tokens: %w", err)
		}
		type clear struct{ id, access, refresh string }
		var todo []clear
		for rows.Next() {
			var c clear
			if err := rows.Scan(&c.id, &c.access, &c.refresh); err != nil {
				rows.Close()
				return fmt.Errorf("find clear tokens: %w", err)
			}
			todo = append(todo, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("find clear tokens: %w", err)
		}
		now := nanos(s.now())
		for _, c := range todo {
			seal := func(col, v string) string {
				if strings.HasPrefix(v, tokenPrefix) {
					return v
				}
				return s.box.seal(c.id, col, v)
			}
			if _, err := tx.ExecContext(ctx, `UPDATE pairings SET access_token = ?, refresh_token = ? WHERE id = ?`,
				seal("access_token", c.access), seal("refresh_token", c.refresh), c.id); err != nil {
				return fmt.Errorf("encrypt tokens of pairing %s: %w", c.id, err)
			}
			if err := appendAudit(ctx, tx, &audit.Record{Kind: audit.PairingUpdated, Actor: "docbridge",
				PairingID: c.id, Message: "tokens encrypted at rest"}, now); err != nil {
				return err
			}
		}
		changed = len(todo)
		return nil
	})
	if err != nil || changed == 0 {
		return err
	}
	if err := s.eng.scrubEnd(ctx, s); err != nil {
		return fmt.Errorf("after encrypting tokens: %w", err)
	}
	return nil
}
