package store

import (
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// The store's queries are written once, with ? placeholders, which SQLite
// takes. PostgreSQL numbers its placeholders ($1, $2, …): the PostgreSQL
// engine's connections (postgres.go) pass every query text through a
// rebinder, the one place where placeholders are rewritten.

// rebind returns query with each ? outside string literals ('…'), quoted
// identifiers ("…") and comments (-- … and /* … */, which nest) replaced by
// $1, $2, … in order. A query without ? is returned as it is. The store's
// queries use no PostgreSQL operator spelled with ? (the jsonb ?, ?| and
// ?&) nor dollar-quoted strings, which rebind would not recognise.
func rebind(query string) string {
	if strings.IndexByte(query, '?') < 0 {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for i := 0; i < len(query); {
		j := i + 1
		switch c := query[i]; {
		case c == '\'' || c == '"':
			j = quotedEnd(query, i)
		case c == '-' && strings.HasPrefix(query[i:], "--"):
			if k := strings.IndexByte(query[i:], '\n'); k >= 0 {
				j = i + k + 1
			} else {
				j = len(query)
			}
		case c == '/' && strings.HasPrefix(query[i:], "/*"):
			j = blockCommentEnd(query, i)
		case c == '?':
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			i = j
			continue
		}
		b.WriteString(query[i:j])
		i = j
	}
	return b.String()
}

// quotedEnd returns the index just after the quoted text starting at
// query[i] (a ' or a "), where a doubled quote stands for itself; the end
// of query when it is not closed.
func quotedEnd(query string, i int) int {
	q := query[i]
	for j := i + 1; j < len(query); j++ {
		if query[j] != q {
			continue
		}
		if j+1 < len(query) && query[j+1] == q {
			j++
			continue
		}
		return j + 1
	}
	return len(query)
}

// blockCommentEnd returns the index just after the block comment starting
// at query[i], counting nested comments as PostgreSQL does; the end of
// query when it is not closed.
func blockCommentEnd(query string, i int) int {
	depth := 0
	for j := i; j+1 < len(query); j++ {
		switch query[j : j+2] {
		case "/*":
			depth++
			j++
		case "*/":
			depth--
			j++
			if depth == 0 {
				return j + 1
			}
		}
	}
	return len(query)
}

// maxRebound bounds a rebinder's cache. The store builds its queries from
// a small set of fragments, so it never holds that many; past it, queries
// are rewritten each time rather than remembered.
const maxRebound = 1024

// rebinder is rebind with a cache of the rewritten texts. It is safe for
// concurrent use.
type rebinder struct {
	cache sync.Map // query → rebound query
	n     atomic.Int32
}

// rebind returns rebind(query), from the cache when it was rewritten before.
func (r *rebinder) rebind(query string) string {
	if v, ok := r.cache.Load(query); ok {
		return v.(string)
	}
	out := rebind(query)
	if r.n.Load() < maxRebound {
		if _, loaded := r.cache.LoadOrStore(query, out); !loaded {
			r.n.Add(1)
		}
	}
	return out
}
