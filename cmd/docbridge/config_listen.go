package main

import (
	"fmt"
	"net"
	"net/url"
)

// listener is one address serve listens on, with the field that sets it.
type listener struct{ field, addr string }

// listeners are the addresses serve listens on: every MLLP listener, the
// FHIR intake, the console (which also serves /metrics and the health
// endpoints) and the pairing endpoints.
func (c *Config) listeners() []listener {
	var out []listener
	for i, m := range c.MLLP {
		out = append(out, listener{fmt.Sprintf("mllp[%d].addr", i), m.Addr})
	}
	out = append(out, listener{"fhir.addr", c.FHIR.Addr}, listener{"admin.addr", c.Admin.Addr}, listener{"pairing.addr", c.Pairing.Addr})
	return out
}

// checkListeners refuses two listeners on one port when their hosts can
// overlap: the same host, or either one all addresses ("", 0.0.0.0, ::).
// The second would fail to start. Port 0 (any free port) never collides.
func (c *Config) checkListeners() []error {
	var errs []error
	ls := c.listeners()
	for i, a := range ls {
		ha, pa, err := net.SplitHostPort(a.addr)
		if a.addr == "" || err != nil || pa == "0" {
			continue
		}
		for _, b := range ls[:i] {
			hb, pb, err := net.SplitHostPort(b.addr)
			if b.addr == "" || err != nil || pb != pa {
				continue
			}
			if ha == hb || anyHost(ha) || anyHost(hb) {
				errs = append(errs, fmt.Errorf("%s: port %s is also %s (%s): each listener needs its own port", a.field, pa, b.field, b.addr))
			}
		}
	}
	return errs
}

func anyHost(h string) bool {
	if h == "" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsUnspecified()
}

// checkHTTPURL returns a problem naming field unless v is an absolute
// http or https URL with a host.
func checkHTTPURL(field, v string) error {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s: %q is not an absolute URL: write it with its scheme and host, e.g. https://mes.example.fr/api", field, v)
	}
	return nil
}
