package admin

import (
	"net/url"
	"strings"
)

// safeNext returns where to go after signing in: next when it is a path of
// this console, "/" otherwise. A path of the console starts with one "/"
// followed by anything but "/" or "\"; it holds no control character and
// no backslash, as written or once percent-decoded (any number of times),
// because browsers drop tabs and newlines, read "\" as "/", and some
// proxies decode again. Absolute URLs, scheme-relative "//host" and their
// encoded forms ("%2F%2F", "%5C", "%09") all fall back to "/".
func safeNext(next string) string {
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return "/"
	}
	for s, i := next, 0; ; i++ {
		if !localPath(s) || i == 4 {
			return "/"
		}
		d, err := url.PathUnescape(s)
		if err != nil {
			return "/"
		}
		if d == s {
			return next
		}
		s = d
	}
}

// localPath reports whether s, read as a browser would, is a path of this
// site.
func localPath(s string) bool {
	if len(s) < 1 || s[0] != '/' || strings.HasPrefix(s, "//") {
		return false
	}
	for _, c := range s {
		if c < 0x20 || c == 0x7f || c == '\\' || (c >= 0x80 && c <= 0x9f) {
			return false
		}
	}
	return true
}
