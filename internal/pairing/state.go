package pairing

import (
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"sync"
	"time"

	"golang.org/x/crypto/chacha20poly1305"
)

// stateLabel is what the sealing key is derived for, and the additional
// data every sealed state is bound to.
const stateLabel = "docbridge pairing state v1"

// sealer seals a pairing in progress (its PKCE verifier and expiry) into
// the OAuth2 state parameter, with XChaCha20-Poly1305 under a key derived
// from Options.StateKey. Nothing is kept per started pairing: any
// instance holding the same key can finish a pairing another started, and
// no number of anonymous /start requests uses up anything others need.
type sealer struct{ aead cipher.AEAD }

// newSealer derives the sealing key from secret (HMAC-SHA256 with
// stateLabel, so the secret itself encrypts nothing else); a nil secret
// draws a random key, good for this process only.
func newSealer(secret []byte) *sealer {
	if secret == nil {
		secret = make([]byte, 32)
		rand.Read(secret) // never fails (crypto/rand)
	}
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(stateLabel))
	aead, err := chacha20poly1305.NewX(m.Sum(nil))
	if err != nil {
		panic(err) // a 32-byte key never fails
	}
	return &sealer{aead: aead}
}

// seal returns the state of a pairing with this verifier that expires at
// expires: base64url of nonce, then the sealed version byte, expiry (Unix
// seconds) and verifier.
func (s *sealer) seal(verifier string, expires time.Time) string {
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+1+8+len(verifier)+s.aead.Overhead())
	rand.Read(nonce) // never fails (crypto/rand)
	plain := make([]byte, 9, 9+len(verifier))
	plain[0] = 1
	binary.BigEndian.PutUint64(plain[1:], uint64(expires.Unix()))
	plain = append(plain, verifier...)
	return base64.RawURLEncoding.EncodeToString(s.aead.Seal(nonce, nonce, plain, []byte(stateLabel)))
}

// errBadState is returned by open for a state this key did not seal, or
// that was changed.
var errBadState = errors.New("pairing: state not sealed by this service")

// open returns the verifier and expiry sealed in state, or errBadState.
func (s *sealer) open(state string) (verifier string, expires time.Time, err error) {
	b, err := base64.RawURLEncoding.DecodeString(state)
	if err != nil || len(b) < s.aead.NonceSize()+s.aead.Overhead()+9 {
		return "", time.Time{}, errBadState
	}
	n := s.aead.NonceSize()
	plain, err := s.aead.Open(nil, b[:n], b[n:], []byte(stateLabel))
	if err != nil || plain[0] != 1 {
		return "", time.Time{}, errBadState
	}
	return string(plain[9:]), time.Unix(int64(binary.BigEndian.Uint64(plain[1:9])), 0), nil
}

// maxUsed bounds the states remembered as used: about 100 bytes each.
const maxUsed = 100000

// usedStates remembers the states of finished callbacks until they expire,
// so that a state is used once in this process. It is bounded: beyond
// maxUsed the oldest is forgotten first (its code, single-use at MES, is
// spent anyway). It is safe for concurrent use.
type usedStates struct {
	mu    sync.Mutex
	m     map[[32]byte]time.Time
	order [][32]byte // in the order used
}

func newUsedStates() *usedStates { return &usedStates{m: map[[32]byte]time.Time{}} }

// use marks state used until expires; it reports false when it already
// was.
func (u *usedStates) use(state string, expires, now time.Time) bool {
	h := sha256.Sum256([]byte(state))
	u.mu.Lock()
	defer u.mu.Unlock()
	for len(u.order) > 0 {
		first := u.order[0]
		if until, ok := u.m[first]; ok && now.Before(until) && len(u.order) < maxUsed {
			break
		}
		delete(u.m, first)
		u.order = u.order[1:]
	}
	if until, ok := u.m[h]; ok && now.Before(until) {
		return false
	}
	u.m[h] = expires
	u.order = append(u.order, h)
	return true
}
