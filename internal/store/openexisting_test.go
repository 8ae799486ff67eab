package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestOpenExisting(t *testing.T) {
	ctx := context.Background()
	made := t.TempDir()
	s, err := Open(ctx, Options{Dir: made})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	empty := t.TempDir()
	file := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, dir string
		want      error // nil: opens
	}{
		{"a store serve made", made, nil},
		{"missing directory", filepath.Join(t.TempDir(), "typo"), ErrNoStore},
		{"empty directory", empty, ErrNoStore},
		{"a file", file, ErrNoStore},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, err := OpenExisting(ctx, Options{Dir: tc.dir})
			if st != nil {
				st.Close()
			}
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("OpenExisting(%s) = %v, want %v", tc.dir, err, tc.want)
			}
			if tc.want == nil {
				return
			}
			// Nothing was created: no database, no content directory.
			for _, n := range []string{dbFile, contentDir} {
				if _, err := os.Stat(filepath.Join(tc.dir, n)); err == nil {
					t.Errorf("%s: %s exists after a refused open", tc.dir, n)
				}
			}
		})
	}
}
