package store

import (
	"strings"
	"sync"
	"testing"
)

func TestRebind(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"none", `SELECT 1`, `SELECT 1`},
		{"in order", `UPDATE t SET a = ?, b = ? WHERE id = ?`, `UPDATE t SET a = $1, b = $2 WHERE id = $3`},
		{"ten and more", strings.Repeat(`?,`, 11) + `?`, `$1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12`},
		{"adjacent", `??`, `$1$2`},
		{"string literal", `SELECT '?', ? FROM t WHERE a = 'it''s ?'`, `SELECT '?', $1 FROM t WHERE a = 'it''s ?'`},
		{"quoted identifier", `SELECT "a?""b" FROM t WHERE x = ?`, `SELECT "a?""b" FROM t WHERE x = $1`},
		{"line comment", "SELECT ? -- why?\nFROM t WHERE a = ?", "SELECT $1 -- why?\nFROM t WHERE a = $2"},
		{"comment at the end", "SELECT ? -- why?", "SELECT $1 -- why?"},
		{"block comment", `SELECT /* ? */ ?`, `SELECT /* ? */ $1`},
		{"nested block comment", `SELECT /* a /* ? */ ? */ ?`, `SELECT /* a /* ? */ ? */ $1`},
		{"unterminated literal", `SELECT ? WHERE a = '?`, `SELECT $1 WHERE a = '?`},
		{"unterminated comment", `SELECT ? /* ?`, `SELECT $1 /* ?`},
		{"minus is not a comment", `SELECT ? - ?`, `SELECT $1 - $2`},
		{"slash is not a comment", `SELECT ? / ?`, `SELECT $1 / $2`},
		{"json path", `SELECT json_extract(meta, '$.action') = ?`, `SELECT json_extract(meta, '$.action') = $1`},
	}
	for _, tc := range tests {
		if got := rebind(tc.in); got != tc.want {
			t.Errorf("%s: rebind(%q) = %q, want %q", tc.name, tc.in, got, tc.want)
		}
	}
}

// TestRebindStoreQueries: every query text of the store that holds a ?
// outside literals is rewritten, and the ones that hold none are returned
// unchanged (the same string, not a copy).
func TestRebindStoreQueries(t *testing.T) {
	for _, q := range []string{dueQuery, pendingQuery, `SELECT ` + docCols + ` FROM documents WHERE ` + (&pgEngine{}).replacingWhere()} {
		got := rebind(q)
		if strings.Contains(got, "?") || !strings.Contains(got, "$1") {
			t.Errorf("rebind(%q) = %q, want every ? numbered", q, got)
		}
	}
	for _, q := range pgMigrations {
		if got := rebind(q); got != q {
			t.Errorf("rebind changed a migration:\n%s", got)
		}
	}
}

func TestRebinderCache(t *testing.T) {
	var r rebinder
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for i := range maxRebound + 100 {
				q := `SELECT ? -- ` + itoa(int64(i))
				if got, want := r.rebind(q), rebind(q); got != want {
					t.Errorf("rebind(%q) = %q, want %q", q, got, want)
					return
				}
			}
		})
	}
	wg.Wait()
	if n := r.n.Load(); n > maxRebound+8 {
		t.Errorf("the cache holds %d queries, want at most about %d", n, maxRebound)
	}
}

// FuzzRebind checks that rebind only ever replaces ? by numbered
// placeholders, in order: with each $n put back as ?, the numbers running
// 1, 2, 3, …, the output is the query again.
func FuzzRebind(f *testing.F) {
	for _, q := range []string{
		dueQuery, pendingQuery, `SELECT '?' -- ?` + "\n?", `/* /* ? */ */ ?`, `"?" ? '' ?`, `?1`, ``, `'`, `/*`,
	} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, q string) {
		got := rebind(q)
		if strings.Contains(q, "$") {
			return // every $ of the output must be rebind's
		}
		var back strings.Builder
		next := int64(1)
		for i := 0; i < len(got); {
			if got[i] != '$' {
				back.WriteByte(got[i])
				i++
				continue
			}
			p := "$" + itoa(next)
			if !strings.HasPrefix(got[i:], p) {
				t.Fatalf("rebind(%q) = %q: at %d, want placeholder %s", q, got, i, p)
			}
			back.WriteByte('?')
			i += len(p)
			next++
		}
		if back.String() != q {
			t.Fatalf("rebind(%q) = %q: with ? put back, %q", q, got, back.String())
		}
	})
}
