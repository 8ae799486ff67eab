package store

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
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

func TestTokensEncryptedOnDisk(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, Options{Dir: dir, TokenKey: testKey})
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
	// While the store is open (WAL) and after it is closed (checkpointed).
	for _, when := range []string{"open", "closed"} {
		if when == "closed" {
			s.Close()
		}
		for _, secret := range []string{want.AccessToken, want.RefreshToken, "plain-text-token"} {
			if files := diskHolds(t, dir, secret); len(files) > 0 {
				t.Errorf("store %s: %v hold a token in clear", when, files)
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
			s, err := Open(ctx, Options{Dir: dir, TokenKey: tt.key})
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
}

func TestOpenEncryptsClearTokens(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	want := secretPairing()
	if err := s.PutPairing(ctx, want); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if files := diskHolds(t, dir, want.AccessToken); len(files) == 0 {
		t.Fatal("without a key the token should be in clear (test precondition)")
	}
	s, err = Open(ctx, Options{Dir: dir, TokenKey: testKey})
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
	s.Close()
	for _, secret := range []string{want.AccessToken, want.RefreshToken} {
		if files := diskHolds(t, dir, secret); len(files) > 0 {
			t.Errorf("after migration %v still hold a token in clear", files)
		}
	}
}

func TestTokenKeySize(t *testing.T) {
	if _, err := Open(context.Background(), Options{Dir: t.TempDir(), TokenKey: []byte("short")}); err == nil {
		t.Error("Open with a 5-byte key succeeded")
	}
}
