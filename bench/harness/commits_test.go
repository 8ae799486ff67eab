package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestReadTraceCountsEachCallOnce: a call strace splits in two (begun
// "<unfinished ...>", ended "<... fsync resumed>") counts once, by the
// path of its first line; complete calls count once each.
func TestReadTraceCountsEachCallOnce(t *testing.T) {
	for _, tc := range []struct {
		name, trace string
		want        []string
	}{
		{"complete", "101 fsync(7</d/data/docbridge.db-wal>) = 0\n101 fdatasync(9</d/drop/done>) = 0\n",
			[]string{"/d/data/docbridge.db-wal", "/d/drop/done"}},
		{"unfinished then resumed", "101 fsync(7</d/data/docbridge.db-wal> <unfinished ...>\n" +
			"102 fsync(8</d/drop> <unfinished ...>\n" +
			"101 <... fsync resumed>) = 0\n" +
			"102 <... fsync resumed>) = 0\n",
			[]string{"/d/data/docbridge.db-wal", "/d/drop"}},
		{"mixed", "101 fsync(7</d/content/ab>) = 0\n" +
			"103 fsync(4</d/drop/processing/h> <unfinished ...>\n" +
			"104 fdatasync(5</d/data/docbridge.db-wal>) = 0\n" +
			"103 <... fsync resumed>) = 0\n" +
			"105 +++ exited with 0 +++\n",
			[]string{"/d/content/ab", "/d/drop/processing/h", "/d/data/docbridge.db-wal"}},
		{"failed call still counts", "101 fsync(7</d/x>) = -1 EIO (Input/output error)\n", []string{"/d/x"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "trace")
			if err := os.WriteFile(p, []byte(tc.trace), 0o600); err != nil {
				t.Fatal(err)
			}
			got, err := readTrace(p)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("readTrace = %q, want %q", got, tc.want)
			}
		})
	}
}
