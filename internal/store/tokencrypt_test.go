package store

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/audit"
)

var (
	testKey  = bytes.Repeat([]byte{7}, TokenKeySize)
	otherKey = bytes.Repeat([]byte{8}, TokenKeySize)
)

// diskHolds reports whether any file of the data directory holds secret.
func diskHolds(t *testing.T, dir, secret string) []string {
	t.Helper()
	var found []string
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(secret)) {
			found = append(found, filepath.Base(path))
		}
		return nil
	})
	return found
}

func secretPairing() docbridge.Pairing {
	p := pairing("p1", "180017505612345", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	p.AccessToken = "ACCESS-plain-text-token-0123456789"
	p.RefreshToken = "REFRESH-plain-text-token-0123456789"
	p.ExpiresAt = time.Date(2026, 1, 1, 1, 0, 0, 0, time.UTC)
	return p
}

// storedTokens returns the access and refresh tokens of pairing id as the
// table holds them.
func storedTokens(t *testing.T, s *Store, id string) (access, refresh string) {
	t.Helper()
	if err := s.r.QueryRow(`SELECT access_token, refresh_token FROM pairings WHERE id = ?`, id).Scan(&access, &refresh); err != nil {
		t.Fatal(err)
	}
	return access, refresh
}

// checkNoClearTokens fails when the table, or on SQLite any file of the
// data directory, holds one of p's tokens in clear.
func checkNoClearTokens(t *testing.T, e testEngine, s *Store, dir string, p docbridge.Pairing, when string) {
	t.Helper()
	access, refresh := storedTokens(t, s, p.ID)
	for _, v := range []string{access, refresh} {
		if !strings.HasPrefix(v, tokenPrefix) {
			t.Errorf("%s: the table holds a token in clear: %q", when, v)
		}
	}
	if e.name != sqliteT.name {
		return
	}
	for _, secret := range []string{p.AccessToken, p.RefreshToken, "plain-text-token"} {
		if files := diskHolds(t, dir, secret); len(files) > 0 {
			t.Errorf("%s: %v hold a token in clear", when, files)
		}
	}
}

func TestTokensEncryptedOnDisk(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e testEngine) {
		ctx := context.Background()
		o := e.fresh(t)
		o.TokenKey = testKey
		s, err := Open(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		want := secretPairing()
		if err := s.PutPairing(ctx, want); err != nil {
			t.Fatal(err)
		}
		got, err := s.Pairing(ctx, "p1")
		if err != nil {
			t.Fatal(err)
		}
		if got.AccessToken != want.AccessToken || got.RefreshToken != want.RefreshToken || !got.ExpiresAt.Equal(want.ExpiresAt) {
			t.Errorf("Pairing tokens = %q, %q, %v; want them back", got.AccessToken, got.RefreshToken, got.ExpiresAt)
		}
		checkNoClearTokens(t, e, s, o.Dir, want, "store open")
		s.Close()
		if e.name == sqliteT.name { // closed: checkpointed into the database file
			for _, secret := range []string{want.AccessToken, want.RefreshToken, "plain-text-token"} {
				if files := diskHolds(t, o.Dir, secret); len(files) > 0 {
					t.Errorf("store closed: %v hold a token in clear", files)
				}
			}
		}

		tests := []struct {
			name    string
			key     []byte
			wantErr bool
		}{
			{"same key", testKey, false},
			{"no key", nil, true},
			{"wrong key", otherKey, true},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				o.TokenKey = tt.key
				s, err := Open(ctx, o)
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				ps, err := s.Pairings(ctx)
				if (err != nil) != tt.wantErr {
					t.Fatalf("Pairings error = %v, want error %v", err, tt.wantErr)
				}
				if tt.key == nil && !errors.Is(err, ErrNoTokenKey) {
					t.Errorf("Pairings without key: %v, want ErrNoTokenKey", err)
				}
				if err == nil && ps[0].AccessToken != want.AccessToken {
					t.Errorf("AccessToken = %q", ps[0].AccessToken)
				}
			})
		}
	})
}

func TestOpenEncryptsClearTokens(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e testEngine) {
		ctx := context.Background()
		o := e.fresh(t)
		s, err := Open(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		want := secretPairing()
		if err := s.PutPairing(ctx, want); err != nil {
			t.Fatal(err)
		}
		if access, _ := storedTokens(t, s, want.ID); access != want.AccessToken {
			t.Fatalf("without a key the token should be in clear (test precondition), got %q", access)
		}
		s.Close()
		o.TokenKey = testKey
		s, err = Open(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.Pairing(ctx, "p1")
		if err != nil || got.AccessToken != want.AccessToken || got.RefreshToken != want.RefreshToken {
			t.Fatalf("Pairing after migration = %+v, %v", got, err)
		}
		var last audit.Record
		for r, err := range s.AuditRecords(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			last = r
		}
		if last.PairingID != "p1" || last.Message != "tokens encrypted at rest" {
			t.Errorf("last audit record = %+v, want the encryption of p1", last)
		}
		checkNoClearTokens(t, e, s, o.Dir, want, "after migration")
		s.Close()
	})
}

func TestTokenKeySize(t *testing.T) {
	if _, err := Open(context.Background(), Options{Dir: t.TempDir(), TokenKey: []byte("short")}); err == nil {
		t.Error("Open with a 5-byte key succeeded")
	}
}
