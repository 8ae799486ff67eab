package admin

import (
	"net/netip"
	"sync"
	"time"
)

// ThrottleOptions sets how failed sign-ins lock the console's password
// form. Each failure counts against three keys: the account from this
// address, the address whatever the account, and the account whatever the
// address (known accounts only). A key that reaches its number of failures
// is locked for 30 s, doubling with each further failure up to MaxLockout;
// while any of its keys is locked a sign-in is refused without looking at
// the password. A key is forgotten MaxLockout after its last failure or
// lock, and a successful sign-in forgets its account-and-address key.
type ThrottleOptions struct {
	// Failures locks one account from one address; 0 means 5.
	Failures int
	// AddressFailures locks one address for every account; 0 means 20.
	AddressFailures int
	// AccountFailures locks one account from every address (a
	// distributed attack); 0 means 50.
	AccountFailures int
	// MaxLockout caps one lock; 0 means 15 minutes.
	MaxLockout time.Duration
}

// firstLockout is the length of the first lock of a key.
const firstLockout = 30 * time.Second

// maxThrottleKeys bounds the memory the counters take: beyond it the key
// whose last failure is the oldest is forgotten first.
const maxThrottleKeys = 10000

func (o ThrottleOptions) withDefaults() ThrottleOptions {
	if o.Failures <= 0 {
		o.Failures = 5
	}
	if o.AddressFailures <= 0 {
		o.AddressFailures = 20
	}
	if o.AccountFailures <= 0 {
		o.AccountFailures = 50
	}
	if o.MaxLockout <= 0 {
		o.MaxLockout = 15 * time.Minute
	}
	return o
}

// throttle counts failed sign-ins in memory, by key. It is safe for
// concurrent use. Counters are per process: a restart forgets them, and
// each instance behind a load balancer counts its own.
type throttle struct {
	o   ThrottleOptions
	now func() time.Time
	mu  sync.Mutex
	m   map[throttleKey]*strikes
}

// throttleKey is one counter: an account (name), an address, or both.
type throttleKey struct {
	name string
	addr netip.Prefix
}

// strikes is one key's failures since it was last forgotten.
type strikes struct {
	n        int
	inFlight int       // attempts begun and not ended
	last     time.Time // last counted failure (or when made)
	until    time.Time // end of the current lock; zero when never locked
}

// lockout is a lock a failure started: which kind of key, how long, after
// how many failures.
type lockout struct {
	Kind     string // "account and address", "address" or "account"
	For      time.Duration
	Failures int
}

func newThrottle(o ThrottleOptions, now func() time.Time) *throttle {
	return &throttle{o: o.withDefaults(), now: now, m: map[throttleKey]*strikes{}}
}

// clientPrefix is the unit an address is counted in: the address itself
// for IPv4, its /64 for IPv6 (one host usually holds a whole /64).
func clientPrefix(a netip.Addr) netip.Prefix {
	a = a.Unmap()
	bits := 32
	if a.Is6() {
		bits = 64
	}
	p, _ := a.Prefix(bits)
	return p
}

// keys returns the counters a sign-in attempt touches, with their limits.
// An unknown account has no account counters: its failures count against
// the address only, so that made-up names cannot fill the table.
func (t *throttle) keys(name string, known bool, addr netip.Addr) []limitedKey {
	p := clientPrefix(addr)
	out := []limitedKey{{throttleKey{addr: p}, t.o.AddressFailures, "address"}}
	if known {
		out = append(out,
			limitedKey{throttleKey{name: name, addr: p}, t.o.Failures, "account and address"},
			limitedKey{throttleKey{name: name}, t.o.AccountFailures, "account"})
	}
	return out
}

type limitedKey struct {
	k     throttleKey
	limit int
	kind  string
}

// inFlightWait is the Retry-After of an attempt refused because attempts
// already in flight could use up what its keys have left.
const inFlightWait = time.Second

// begin starts a sign-in attempt. It returns ok false, and when to try
// again, when one of keys is locked, or when the attempts of its keys in
// flight (their passwords being checked) could reach its limit: parallel
// guesses get no more tries than sequential ones. Every ok attempt must be
// ended by fail or succeed.
func (t *throttle) begin(keys []limitedKey) (retry time.Time, ok bool) {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, lk := range keys {
		s := t.m[lk.k]
		switch {
		case s == nil:
		case now.Before(s.until):
			if s.until.After(retry) {
				retry = s.until
			}
		case s.n+s.inFlight >= lk.limit && s.inFlight > 0:
			if r := now.Add(inFlightWait); r.After(retry) {
				retry = r
			}
		}
	}
	if !retry.IsZero() {
		return retry, false
	}
	for _, lk := range keys {
		t.entry(lk.k).inFlight++
	}
	return time.Time{}, true
}

// entry returns the counter of k, made when missing; the caller holds mu.
func (t *throttle) entry(k throttleKey) *strikes {
	s := t.m[k]
	if s == nil {
		if len(t.m) >= maxThrottleKeys {
			t.evictOldest()
		}
		s = &strikes{last: t.now()}
		t.m[k] = s
	}
	return s
}

// ended ends an attempt begin allowed; the caller holds mu.
func (t *throttle) ended(k throttleKey) *strikes {
	s := t.entry(k)
	if s.inFlight > 0 {
		s.inFlight--
	}
	return s
}

// fail ends an attempt that failed: it counts one failure against each
// key. It returns whether this was the first counted failure of the
// account-and-address key (or, for an unknown account, of the address
// key) and the locks it started.
func (t *throttle) fail(keys []limitedKey) (first bool, locks []lockout) {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sweep(now)
	for i, lk := range keys {
		s := t.ended(lk.k)
		s.n++
		s.last = now
		if i == primary(keys) && s.n == 1 {
			first = true
		}
		if s.n >= lk.limit {
			d := firstLockout << min(s.n-lk.limit, 20)
			if d > t.o.MaxLockout {
				d = t.o.MaxLockout
			}
			s.until = now.Add(d)
			locks = append(locks, lockout{Kind: lk.kind, For: d, Failures: s.n})
		}
	}
	return first, locks
}

// primary is the index of the key whose first failure is audited: the
// account-and-address key, or the address key of an unknown account.
func primary(keys []limitedKey) int {
	if len(keys) > 1 {
		return 1
	}
	return 0
}

// succeed ends an attempt that succeeded: it forgets the
// account-and-address key; the address and account keys keep counting, so
// that one known password does not reset an attack on the others.
func (t *throttle) succeed(keys []limitedKey) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, lk := range keys {
		s := t.ended(lk.k)
		if lk.kind == "account and address" && s.inFlight == 0 {
			delete(t.m, lk.k)
		}
	}
}

// sweep forgets keys whose last failure and lock are over MaxLockout ago
// and that have no attempt in flight; the caller holds mu.
func (t *throttle) sweep(now time.Time) {
	for k, s := range t.m {
		if s.inFlight > 0 {
			continue
		}
		end := s.last
		if s.until.After(end) {
			end = s.until
		}
		if now.Sub(end) > t.o.MaxLockout {
			delete(t.m, k)
		}
	}
}

// evictOldest forgets the key whose last failure is the oldest, among the
// keys not locked now if there are any (so that flooding the table from
// many addresses does not unlock an account); the caller holds mu.
func (t *throttle) evictOldest() {
	now := t.now()
	var oldest throttleKey
	var at time.Time
	var locked, found bool
	for k, s := range t.m {
		l := now.Before(s.until)
		if !found || (locked && !l) || (locked == l && s.last.Before(at)) {
			oldest, at, locked, found = k, s.last, l, true
		}
	}
	delete(t.m, oldest)
}
