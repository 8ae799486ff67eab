package store

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// schemaGolden is the store's tables and columns as both engines must
// have them after every migration.
var schemaGolden = filepath.Join("testdata", "schema.golden")

// TestSchema: the migrations of both engines give the same tables with
// the same columns, in the same order, with the same nullability; the
// golden file shows them (go test ./internal/store -run TestSchema -update
// rewrites it from SQLite).
func TestSchema(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e testEngine) {
		s := e.open(t, Options{})
		got, err := describeSchema(context.Background(), s, e.name)
		if err != nil {
			t.Fatal(err)
		}
		if *update && e.name == sqliteT.name {
			if err := os.WriteFile(schemaGolden, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(schemaGolden)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(string(want), got); diff != "" {
			t.Errorf("schema differs from %s (-want +got):\n%s", schemaGolden, diff)
		}
	})
}

// column is one column as describeSchema prints it.
type column struct {
	table, name string
	notNull     bool
}

// describeSchema returns one line per table, "table: column, column?, …",
// sorted by table, columns in their order, a nullable column marked with
// ?. Primary key columns count as NOT NULL (SQLite lets some hold NULL;
// the store never writes one).
func describeSchema(ctx context.Context, s *Store, engine string) (string, error) {
	var cols []column
	var err error
	if engine == sqliteT.name {
		cols, err = sqliteColumns(ctx, s.r)
	} else {
		cols, err = pgColumns(ctx, s.r)
	}
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for i, c := range cols {
		switch {
		case i == 0:
			fmt.Fprintf(&b, "%s: ", c.table)
		case c.table != cols[i-1].table:
			fmt.Fprintf(&b, "\n%s: ", c.table)
		default:
			b.WriteString(", ")
		}
		b.WriteString(c.name)
		if !c.notNull {
			b.WriteString("?")
		}
	}
	b.WriteString("\n")
	return b.String(), nil
}

func sqliteColumns(ctx context.Context, db *sql.DB) ([]column, error) {
	rows, err := db.QueryContext(ctx, `SELECT m.name, p.name, p."notnull" OR p.pk > 0
	FROM sqlite_master m JOIN pragma_table_info(m.name) p
	WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'
	ORDER BY m.name, p.cid`)
	if err != nil {
		return nil, err
	}
	return scanColumns(rows)
}

func pgColumns(ctx context.Context, db *sql.DB) ([]column, error) {
	rows, err := db.QueryContext(ctx, `SELECT table_name, column_name, CASE WHEN is_nullable = 'NO' THEN 1 ELSE 0 END
	FROM information_schema.columns
	WHERE table_schema = current_schema()
	ORDER BY table_name, ordinal_position`)
	if err != nil {
		return nil, err
	}
	return scanColumns(rows)
}

func scanColumns(rows *sql.Rows) ([]column, error) {
	defer rows.Close()
	var out []column
	for rows.Next() {
		var c column
		if err := rows.Scan(&c.table, &c.name, &c.notNull); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
