package main

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/store"
)

// seedQueue stores one input per (state, reason) and returns the data dir.
func seedQueue(t *testing.T, docs ...store.NewDocument) string {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(context.Background(), store.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for i, nd := range docs {
		content := []byte(fmt.Sprintf("content %d", i))
		s1, s256 := sha1.Sum(content), sha256.Sum256(content)
		nd.Doc = &docbridge.Document{UniqueID: fmt.Sprintf("urn:oid:1.2.%d", i), Action: docbridge.Create, Content: content,
			Size: int64(len(content)), SHA1: hex.EncodeToString(s1[:]), SHA256: hex.EncodeToString(s256[:])}
		acc, err := st.AcceptConverted(context.Background(), &docbridge.Envelope{Intake: "drop", Source: "f", ReceivedAt: time.Now(), Body: bytes.NewReader(content)}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.RecordConversion(context.Background(), acc.ID, []store.NewDocument{nd}); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func states(t *testing.T, dir string) string {
	t.Helper()
	st, err := store.Open(context.Background(), store.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rows, _ := st.Documents(context.Background(), store.Filter{})
	var out []string
	for _, r := range rows {
		out = append(out, string(r.State))
	}
	return strings.Join(out, ",")
}

func TestQueueRetryAndRelease(t *testing.T) {
	nd := func(s docbridge.State, r docbridge.Reason) store.NewDocument {
		return store.NewDocument{State: s, Reason: r, Message: "m"}
	}
	seed := []store.NewDocument{
		nd(docbridge.Failed, docbridge.MESRejected),
		nd(docbridge.Held, docbridge.MESUnavailable),
		nd(docbridge.Failed, docbridge.INSInvalid),
		nd(docbridge.Held, docbridge.NotPaired),
		nd(docbridge.Review, docbridge.UnmappedCode),
	}
	tests := []struct {
		name     string
		args     []string
		wantExit int
		want     string // states after, in id order
	}{
		{"retry by reason", []string{"retry", "--reason", "mes-rejected"}, 0, "converted,held,failed,held,review"},
		{"retry every retryable", []string{"retry", "--since", "1h"}, 0, "converted,converted,failed,held,review"},
		{"ins-invalid is never retried", []string{"retry", "--reason", "ins-invalid"}, 0, "failed,held,failed,held,review"},
		{"release one by id", []string{"release", "--id", "4"}, 0, "failed,held,failed,converted,review"},
		{"release by intake", []string{"release", "--intake", "drop"}, 0, "failed,converted,failed,converted,review"},
		{"other intake", []string{"release", "--intake", "mllp"}, 0, "failed,held,failed,held,review"},
		{"no selector", []string{"retry"}, 2, "failed,held,failed,held,review"},
		{"above the cap without --yes", []string{"release", "--since", "1h", "--max", "1"}, 2, "failed,held,failed,held,review"},
		{"above the cap with --yes", []string{"release", "--since", "1h", "--max", "1", "--yes"}, 0, "failed,converted,failed,converted,review"},
		{"dry run", []string{"release", "--since", "1h", "--dry-run"}, 0, "failed,held,failed,held,review"},
		{"bad time", []string{"retry", "--since", "yesterday"}, 2, "failed,held,failed,held,review"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := seedQueue(t, seed...)
			var out bytes.Buffer
			args := append([]string{"queue"}, tt.args...)
			err := run(context.Background(), append(args, "--data", dir), &out, &out)
			if got := exitCode(err); got != tt.wantExit {
				t.Fatalf("exit %d, want %d (%v)\n%s", got, tt.wantExit, err, out.String())
			}
			if got := states(t, dir); got != tt.want {
				t.Errorf("states = %s, want %s\n%s", got, tt.want, out.String())
			}
		})
	}
}
