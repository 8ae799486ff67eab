package store

import (
	"context"
	"crypto/rand"
	"errors"
	"testing"
	"time"

	"github.com/docbridge/docbridge"
)

func TestPairingsWithoutTokensNeedsNoKey(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	key := make([]byte, TokenKeySize)
	rand.Read(key)
	s, err := Open(ctx, Options{Dir: dir, TokenKey: key})
	if err != nil {
		t.Fatal(err)
	}
	p := docbridge.Pairing{ID: "p1", MESPatient: "mes-1", AccessToken: "secret-a", RefreshToken: "secret-r", CreatedAt: time.Unix(1, 0)}
	if err := s.PutPairing(ctx, p); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s, err = OpenExisting(ctx, Options{Dir: dir}) // no key
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Pairings(ctx); !errors.Is(err, ErrNoTokenKey) {
		t.Fatalf("Pairings without the key = %v, want ErrNoTokenKey", err)
	}
	ps, err := s.PairingsWithoutTokens(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 1 || ps[0].ID != "p1" || ps[0].MESPatient != "mes-1" || ps[0].AccessToken != "" || ps[0].RefreshToken != "" {
		t.Errorf("PairingsWithoutTokens = %+v, want p1 of mes-1 without tokens", ps)
	}
}
