package pairing

import (
	"bytes"
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/docbridge/docbridge/internal/identity"
)

func TestStateSealing(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	s := newSealer(key)
	exp := time.Date(2026, 12, 5, 10, 10, 0, 0, time.UTC)
	state := s.seal("the-verifier", exp)
	if strings.Contains(state, "the-verifier") {
		t.Error("the state shows the verifier in clear")
	}
	v, e, err := s.open(state)
	if err != nil || v != "the-verifier" || !e.Equal(exp) {
		t.Fatalf("open = %q, %v, %v; want the-verifier, %v", v, e, err, exp)
	}
	if again := s.seal("the-verifier", exp); again == state {
		t.Error("two seals of the same flow give the same state: the nonce is not fresh")
	}
	if _, _, err := newSealer(key).open(state); err != nil {
		t.Errorf("another instance with the same key cannot open the state: %v", err)
	}
	flipped := []byte(state)
	flipped[len(flipped)/2] ^= 1
	for name, st := range map[string]string{
		"other key": newSealer(bytes.Repeat([]byte{8}, 32)).seal("v", exp),
		"changed":   string(flipped),
		"truncated": state[:20],
		"empty":     "",
		"not b64":   "!!!" + state,
	} {
		if _, _, err := s.open(st); err != errBadState {
			t.Errorf("%s: open = %v, want errBadState", name, err)
		}
	}
}

func FuzzOpenState(f *testing.F) {
	s := newSealer(bytes.Repeat([]byte{7}, 32))
	f.Add(s.seal("v", time.Unix(1e9, 0)))
	f.Add("")
	f.Add("AAAA")
	f.Fuzz(func(t *testing.T, state string) {
		// Only what this key sealed opens (here: the first seed, in every
		// fuzzing process): the fuzzer cannot forge a state.
		if v, e, err := s.open(state); err == nil && (v != "v" || e.Unix() != 1e9) {
			t.Fatalf("open(%q) = %q, %v: a forged state opened", state, v, e)
		}
	})
}

func TestUsedStatesBounded(t *testing.T) {
	u := newUsedStates()
	now := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	if !u.use("a", now.Add(time.Minute), now) || u.use("a", now.Add(time.Minute), now) {
		t.Error("a state is not used exactly once")
	}
	if !u.use("a", now.Add(3*time.Minute), now.Add(2*time.Minute)) {
		t.Error("an expired state is still remembered")
	}
	for i := range maxUsed + 10 {
		u.use(strings.Repeat("x", i%50)+string(rune('a'+i%26))+time.Duration(i).String(), now.Add(time.Hour), now)
	}
	if len(u.m) > maxUsed || len(u.order) > maxUsed {
		t.Errorf("%d states remembered, want at most %d", len(u.m), maxUsed)
	}
}

// TestStartFloodAndOtherInstance: 10,000 anonymous /start requests leave
// nothing behind, a patient still pairs, and a pairing started on one
// instance finishes on another sharing the key.
func TestStartFloodAndOtherInstance(t *testing.T) {
	e := newEnv(t)
	key := bytes.Repeat([]byte{1}, 32)
	a := NewServer(Options{OAuth: e.oauth, Store: e.st, Identity: identity.Options{Environment: identity.Test},
		Log: zerolog.Nop(), Now: e.clk.Now, StateKey: key})
	b := NewServer(Options{OAuth: e.oauth, Store: e.st, Identity: identity.Options{Environment: identity.Test},
		Log: zerolog.Nop(), Now: e.clk.Now, StateKey: key})
	h := a.Handler()
	for i := range 10000 {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/start", nil))
		if rec.Code != http.StatusFound {
			t.Fatalf("start %d: HTTP %d", i, rec.Code)
		}
	}
	if n := len(a.used.m); n != 0 {
		t.Errorf("%d states held after the flood, want none", n)
	}

	// Start on a, call back on b (the simulator redirects to e.srv's
	// callback, which here is served by b).
	mux := http.NewServeMux()
	mux.Handle("GET /start", a.Handler())
	mux.Handle("GET /callback", b.Handler())
	e.srv.Config.Handler = mux
	jar, _ := cookiejar.New(nil)
	status, page := browse(t, e.srv.URL+"/start", jar, "approve")
	if status != http.StatusOK || !strings.Contains(page, `<main id="paired">`) {
		t.Fatalf("pairing started on one instance, finished on another: HTTP %d %s", status, page)
	}
	if ps, err := e.st.Pairings(context.Background()); err != nil || len(ps) != 1 {
		t.Errorf("Pairings = %d, %v; want one", len(ps), err)
	}

	// A state past its expiry is refused.
	jar, _ = cookiejar.New(nil)
	hc := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Get(e.srv.URL + "/start")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := resp.Location()
	state := loc.Query().Get("state")
	e.clk.Add(11 * time.Minute)
	resp, err = hc.Get(e.srv.URL + "/callback?code=x&state=" + state)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("expired state: HTTP %d, want 400", resp.StatusCode)
	}
}
