package admin

import (
	"net/http"
	"net/netip"
	"strings"
)

// trustedProxy reports whether a is one of Options.TrustedProxies.
func (s *Server) trustedProxy(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range s.o.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// clientAddr returns the address of the browser behind r: the peer's
// address, unless the peer is a trusted proxy, in which case the last
// address of X-Forwarded-For that is not itself a trusted proxy (the
// addresses to its left are the client's to choose, so they are not
// believed). ok is false when the peer's address cannot be read.
func (s *Server) clientAddr(r *http.Request) (netip.Addr, bool) {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}, false
	}
	a := ap.Addr().Unmap()
	if !s.trustedProxy(a) {
		return a, true
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		h, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		if h = h.Unmap(); !s.trustedProxy(h) {
			return h, true
		}
	}
	return a, true
}
