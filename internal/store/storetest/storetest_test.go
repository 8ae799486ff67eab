package storetest

import (
	"database/sql"
	"strings"
	"testing"
)

func TestWithSearchPath(t *testing.T) {
	tests := []struct{ base, want string }{
		{"postgres://u@h:5433/db?sslmode=disable", "postgres://u@h:5433/db?search_path=t_1&sslmode=disable"},
		{"postgresql://u:p@h/db", "postgresql://u:p@h/db?search_path=t_1"},
		{"postgres://h/db?search_path=public", "postgres://h/db?search_path=t_1"},
		{"host=h dbname=db sslmode=disable", "host=h dbname=db sslmode=disable search_path=t_1"},
	}
	for _, tc := range tests {
		if got := withSearchPath(tc.base, "t_1"); got != tc.want {
			t.Errorf("withSearchPath(%q) = %q, want %q", tc.base, got, tc.want)
		}
	}
}

// TestPostgres: the URL selects a schema of the test's own, which exists.
func TestPostgres(t *testing.T) {
	u := Postgres(t)
	db, err := sql.Open("pgx", u)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var schema sql.NullString
	if err := db.QueryRow(`SELECT current_schema()`).Scan(&schema); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(schema.String, "t_") {
		t.Errorf("current_schema() = %q, want the test's t_… schema", schema.String)
	}
	if other := Postgres(t); other == u {
		t.Errorf("two calls gave the same URL %q, want two schemas", u)
	}
}
