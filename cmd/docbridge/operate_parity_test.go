package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rs/zerolog"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/admin"
	"github.com/docbridge/docbridge/internal/audit"
	"github.com/docbridge/docbridge/internal/store"
)

// paritySeed is one stored document of the parity test: its state, reason
// and pairing, and the action then taken on it.
type paritySeed struct {
	state   docbridge.State
	reason  docbridge.Reason
	pairing string
	action  string // retry, release, confirm, reject, aside
	note    string
}

// seedParity stores the seeds (one input each, intake drop) for a patient
// whose birth date differs from the one paired (seedReview's pairing p1).
// It returns the data directory and the document ids, in seed order.
func seedParity(t *testing.T, seeds []paritySeed) (string, []int64) {
	t.Helper()
	ctx := context.Background()
	dir := seedReview(t, 0)
	st, err := store.Open(ctx, store.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	patient := reviewed
	patient.BirthDate = "1985-04-18"
	var ids []int64
	for i, s := range seeds {
		id := storeDoc(t, st, fmt.Sprintf("urn:oid:1.2.250.9.%d", i), patient, store.NewDocument{State: docbridge.Converted})
		tr := store.Transition{ID: id, From: docbridge.Converted, To: s.state, Reason: s.reason, PairingID: s.pairing, Message: "seeded", Actor: "test"}
		if err := st.Transition(ctx, tr); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return dir, ids
}

// copyDir copies the regular files of a store directory, recursively.
func copyDir(t *testing.T, from string) string {
	t.Helper()
	to := t.TempDir()
	err := filepath.WalkDir(from, func(path string, e os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, path)
		if e.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o700)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), b, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
	return to
}

// parityOutcome is what the actions left in a store: each document's
// state and reason, and the audit records from the after-th on (those
// written after the seed), with what may differ between two runs
// (sequence, time, hashes) cleared and the person acting named
// "user:PERSON".
type parityOutcome struct {
	States  []string
	Records []audit.Record
}

func readParity(t *testing.T, dir string, after int) parityOutcome {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var out parityOutcome
	rows, err := st.Documents(ctx, store.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		out.States = append(out.States, fmt.Sprintf("%d %s/%s: %s", r.ID, r.State, r.Reason, r.Message))
	}
	seen := 0
	for r, err := range st.AuditRecords(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		if seen++; seen <= after {
			continue
		}
		if r.Human() {
			r.Actor = "user:PERSON"
		}
		r.Seq, r.At, r.PrevHash, r.Hash = 0, time.Time{}, "", ""
		out.Records = append(out.Records, r)
	}
	return out
}

var (
	cliDiff     = regexp.MustCompile(`--diff ([0-9a-f]+)`)
	consoleDiff = regexp.MustCompile(`name="fingerprint" value="([0-9a-f]+)"`)
)

// TestOperatorActionsCLIAndConsoleAgree takes the same actions on two
// copies of one store, one through `docbridge queue`, the other through
// the console, and compares what each left: the documents' states,
// reasons and messages, and the audit records (kinds, reasons, messages,
// pairings), which may differ only by who acted. It includes a retry of a
// paired document held for mes-unavailable, which the console once moved
// to matched and the CLI to converted.
func TestOperatorActionsCLIAndConsoleAgree(t *testing.T) {
	seeds := []paritySeed{
		{docbridge.Held, docbridge.MESUnavailable, "p1", "retry", "MES is back"},
		{docbridge.Held, docbridge.MESUnavailable, "", "retry", ""},
		{docbridge.Failed, docbridge.MESRejected, "p1", "retry", ""},
		{docbridge.Failed, docbridge.PairingExpired, "", "retry", "patient paired again"},
		{docbridge.Held, docbridge.NotPaired, "", "release", ""},
		{docbridge.Failed, docbridge.INSInvalid, "", "retry", ""}, // refused by both
		{docbridge.Review, docbridge.IdentityMismatch, "", "confirm", "ID card checked"},
		{docbridge.Review, docbridge.UnmappedCode, "", "confirm", "type checked"},
		{docbridge.Review, docbridge.MissingMetadata, "", "reject", "not ours"},
		{docbridge.Review, docbridge.UnmappedCode, "", "aside", "ask the lab"},
		{docbridge.Review, docbridge.MissingINS, "", "confirm", "cannot"}, // refused by both
	}
	cliDir, ids := seedParity(t, seeds)
	after := len(readParity(t, cliDir, 0).Records)
	consoleDir := copyDir(t, cliDir)

	// The command line.
	for i, s := range seeds {
		id := fmt.Sprint(ids[i])
		var args []string
		switch s.action {
		case "retry", "release":
			args = []string{"queue", s.action, "--id", id}
			if s.note != "" {
				args = append(args, "--note", s.note)
			}
		default:
			var shown bytes.Buffer
			if err := run(context.Background(), []string{"queue", "review", "--id", id, "--data", cliDir}, &shown, &shown); err != nil {
				t.Fatalf("queue review --id %s: %v\n%s", id, err, shown.String())
			}
			flag := map[string]string{"confirm": "--confirm", "reject": "--reject", "aside": "--set-aside"}[s.action]
			args = []string{"queue", "review", "--id", id, flag, "--note", s.note}
			if m := cliDiff.FindStringSubmatch(shown.String()); m != nil {
				args = append(args, "--diff", m[1])
			}
		}
		var out bytes.Buffer
		err := run(context.Background(), append(args, "--data", cliDir), &out, &out)
		t.Logf("cli %v: %v %s", args, err, strings.TrimSpace(out.String()))
	}

	// The console.
	st, err := store.Open(context.Background(), store.Options{Dir: consoleDir})
	if err != nil {
		t.Fatal(err)
	}
	hash, err := admin.HashPassword("s3cret-pass")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := admin.New(admin.Options{Store: st, Users: []admin.User{{Name: "otto", PasswordHash: hash, Role: admin.Operator}}, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	hc, csrf := signedIn(t, hs.URL, "otto")
	for i, s := range seeds {
		page := hs.URL + fmt.Sprintf("/documents/%d", ids[i])
		form := url.Values{"csrf": {csrf}, "note": {s.note}}
		if s.action == "confirm" {
			resp, err := hc.Get(page)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if m := consoleDiff.FindStringSubmatch(string(b)); m != nil {
				form.Set("fingerprint", m[1])
			}
		}
		resp, err := hc.PostForm(page+"/"+s.action, form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		t.Logf("console %s %d: HTTP %d", s.action, ids[i], resp.StatusCode)
		if want := map[bool]int{true: http.StatusSeeOther, false: http.StatusConflict}[s.reason != docbridge.INSInvalid && s.reason != docbridge.MissingINS]; resp.StatusCode != want {
			t.Errorf("console %s of document %d: HTTP %d, want %d", s.action, ids[i], resp.StatusCode, want)
		}
	}
	hs.Close()
	st.Close()

	cli, console := readParity(t, cliDir, after), readParity(t, consoleDir, after)
	if diff := cmp.Diff(cli, console); diff != "" {
		t.Errorf("the CLI and the console disagree (-cli +console):\n%s", diff)
	}
	// What both did is what operate decides: spot-check the divergence
	// this test was written for and the refusals.
	for i, want := range map[int]docbridge.State{0: docbridge.Converted, 5: docbridge.Failed, 6: docbridge.Converted, 9: docbridge.Review, 10: docbridge.Review} {
		if got := strings.SplitN(console.States[i], " ", 3)[1]; !strings.HasPrefix(got, string(want)+"/") {
			t.Errorf("document %d after %s: %s, want %s", ids[i], seeds[i].action, got, want)
		}
	}
	if got, want := len(console.Records), 9; got != want {
		t.Errorf("%d audit records after the actions, want %d (one per action that applied)", got, want)
	}
}
