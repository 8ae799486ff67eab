package admin

import (
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// testClock is a clock a test moves.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// signInFrom posts the login form as user with pw from address from (given
// through X-Forwarded-For by the trusted proxy 127.0.0.1) and returns the
// status.
func signInFrom(t *testing.T, f *fixture, from, user, pw string) *http.Response {
	t.Helper()
	c := f.anonymous()
	get, _ := http.NewRequest(http.MethodGet, f.ts.URL+"/login", nil)
	get.Header.Set("X-Forwarded-For", from)
	resp, err := c.hc.Do(get)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	tok := csrfRe.FindStringSubmatch(string(b))[1]
	form := url.Values{"csrf": {tok}, "user": {user}, "password": {pw}}
	req, _ := http.NewRequest(http.MethodPost, f.ts.URL+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Forwarded-For", "203.0.113.250, "+from) // the left one is the client's to choose
	resp, err = c.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func TestSignInThrottle(t *testing.T) {
	clk := &testClock{t: time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)}
	f := newFixtureWith(t, func(o *Options) {
		o.Now = clk.Now
		o.TrustedProxies = mustPrefixes(t, []string{"127.0.0.1/32"})
		o.Throttle = ThrottleOptions{Failures: 5, AddressFailures: 8, AccountFailures: 12, MaxLockout: 10 * time.Minute}
	})
	const attacker, other = "198.51.100.7", "198.51.100.8"
	for i := range 5 {
		if got := signInFrom(t, f, attacker, "otto", "wrong").StatusCode; got != http.StatusUnauthorized {
			t.Fatalf("wrong password %d: HTTP %d, want 401", i+1, got)
		}
	}
	// Locked for otto from the attacker's address, even with the right password.
	resp := signInFrom(t, f, attacker, "otto", password)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Errorf("right password after 5 failures: HTTP %d Retry-After %q, want 429 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	// Another account from that address, and otto from another, still sign in.
	if got := signInFrom(t, f, attacker, "vera", password).StatusCode; got != http.StatusSeeOther {
		t.Errorf("vera from the same address: HTTP %d, want 303", got)
	}
	if got := signInFrom(t, f, other, "otto", password).StatusCode; got != http.StatusSeeOther {
		t.Errorf("otto from another address: HTTP %d, want 303", got)
	}
	// The lock ends after 30 s; the next failure locks for twice as long.
	clk.Add(31 * time.Second)
	if got := signInFrom(t, f, attacker, "otto", "wrong").StatusCode; got != http.StatusUnauthorized {
		t.Errorf("after the lock: HTTP %d, want 401", got)
	}
	clk.Add(31 * time.Second)
	if got := signInFrom(t, f, attacker, "otto", password).StatusCode; got != http.StatusTooManyRequests {
		t.Errorf("31 s into the second lock (60 s): HTTP %d, want 429", got)
	}
	clk.Add(30 * time.Second)
	if got := signInFrom(t, f, attacker, "otto", password).StatusCode; got != http.StatusSeeOther {
		t.Errorf("after the second lock, right password: HTTP %d, want 303", got)
	}

	// Spraying made-up names from one address locks the address.
	for range 8 {
		signInFrom(t, f, "192.0.2.1", "nobody", "x")
	}
	if got := signInFrom(t, f, "192.0.2.1", "vera", password).StatusCode; got != http.StatusTooManyRequests {
		t.Errorf("vera from an address that failed 8 times: HTTP %d, want 429", got)
	}

	// Many refusals, few audit records: the first per account and address,
	// then one per lock.
	f.audits = nil
	for range 100 {
		signInFrom(t, f, "192.0.2.9", "vera", "wrong")
	}
	var refused, locked int
	for _, a := range f.audits {
		switch {
		case strings.HasPrefix(a.msg, "console sign-in refused"):
			refused++
		case strings.HasPrefix(a.msg, "console sign-in locked"):
			locked++
		}
		if a.actor != "user:vera" {
			t.Errorf("audit actor = %q, want user:vera", a.actor)
		}
	}
	if refused != 1 || locked != 1 {
		t.Errorf("100 wrong passwords: %d refusal and %d lock audit records, want 1 and 1: %+v", refused, locked, f.audits)
	}
}

func TestClientAddr(t *testing.T) {
	s := &Server{o: Options{TrustedProxies: mustPrefixes(t, []string{"10.0.0.0/8"})}}
	tests := []struct {
		remote, xff, want string
	}{
		{"192.0.2.1:5000", "", "192.0.2.1"},
		{"192.0.2.1:5000", "198.51.100.1", "192.0.2.1"}, // not a proxy: its header is ignored
		{"10.0.0.1:5000", "", "10.0.0.1"},
		{"10.0.0.1:5000", "198.51.100.1", "198.51.100.1"},
		{"10.0.0.1:5000", "203.0.113.9, 198.51.100.1, 10.0.0.2", "198.51.100.1"},
		{"10.0.0.1:5000", "garbage, 198.51.100.1", "198.51.100.1"},
		{"10.0.0.1:5000", "198.51.100.1, garbage", "10.0.0.1"},
		{"[::ffff:192.0.2.1]:5000", "", "192.0.2.1"},
	}
	for _, tt := range tests {
		r := &http.Request{RemoteAddr: tt.remote, Header: http.Header{}}
		if tt.xff != "" {
			r.Header.Set("X-Forwarded-For", tt.xff)
		}
		got, ok := s.clientAddr(r)
		if !ok || got != netip.MustParseAddr(tt.want) {
			t.Errorf("clientAddr(%s, XFF %q) = %v, %v; want %s", tt.remote, tt.xff, got, ok, tt.want)
		}
	}
	if got := clientPrefix(netip.MustParseAddr("2001:db8::1")); got != netip.MustParsePrefix("2001:db8::/64") {
		t.Errorf("clientPrefix(2001:db8::1) = %v, want its /64", got)
	}
}

// TestSignInThrottleParallel: guesses sent in parallel get no more tries
// than sequential ones.
func TestSignInThrottleParallel(t *testing.T) {
	clk := &testClock{t: time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)}
	th := newThrottle(ThrottleOptions{Failures: 5}, clk.Now)
	keys := th.keys("otto", true, netip.MustParseAddr("192.0.2.1"))
	allowed := 0
	for range 20 {
		if _, ok := th.begin(keys); ok {
			allowed++
		}
	}
	if allowed != 5 {
		t.Fatalf("20 attempts begun at once: %d allowed, want 5", allowed)
	}
	for range 4 {
		th.fail(keys)
	}
	th.succeed(keys) // the fifth was the right password: the pair is forgotten
	if _, ok := th.begin(keys); !ok {
		t.Error("after a success the account is still held for this address")
	}

	f := newFixture(t)
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[int]int{}
	for range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := f.anonymous()
			_, body := c.get("/login")
			resp, _ := c.post("/login", url.Values{"csrf": {csrfRe.FindStringSubmatch(body)[1]}, "user": {"otto"}, "password": {"wrong"}})
			mu.Lock()
			statuses[resp.StatusCode]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if statuses[http.StatusUnauthorized] > 5 || statuses[http.StatusUnauthorized]+statuses[http.StatusTooManyRequests] != 40 {
		t.Errorf("40 parallel wrong passwords: statuses %v, want at most 5 × 401, the rest 429", statuses)
	}
}

// TestThrottleBounded: a flood of addresses fills the table up to its
// bound, and evicts unlocked counters before a locked account's.
func TestThrottleBounded(t *testing.T) {
	clk := &testClock{t: time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)}
	th := newThrottle(ThrottleOptions{AccountFailures: 3}, clk.Now)
	otto := th.keys("otto", true, netip.MustParseAddr("192.0.2.1"))
	for range 3 {
		th.begin(otto)
		th.fail(otto)
	}
	for i := range maxThrottleKeys + 500 {
		a := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		keys := th.keys("nobody", false, a)
		th.begin(keys)
		th.fail(keys)
		clk.Add(time.Millisecond)
	}
	if n := len(th.m); n > maxThrottleKeys {
		t.Errorf("%d counters kept, want at most %d", n, maxThrottleKeys)
	}
	if _, ok := th.begin(th.keys("otto", true, netip.MustParseAddr("198.51.100.1"))); ok {
		t.Error("a flood of addresses unlocked the locked account")
	}
}
