package admin

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/identity"
	"github.com/docbridge/docbridge/internal/operate"
	"github.com/docbridge/docbridge/internal/store"
)

var fingerprintRe = regexp.MustCompile(`name="fingerprint" value="([^"]*)"`)

// otherDate is camille with another birth date: an identity mismatch.
func otherDate() docbridge.Patient {
	p := camille
	p.BirthDate = "1985-04-18"
	return p
}

func TestReviewDecisions(t *testing.T) {
	tests := []struct {
		name        string
		reason      docbridge.Reason
		patient     docbridge.Patient
		action      string
		note        string
		fingerprint string // "page": the one the document page shows
		wantStatus  int
		wantState   docbridge.State
		wantReason  docbridge.Reason
		wantMsg     string
	}{
		{"confirm identity mismatch", docbridge.IdentityMismatch, otherDate(), "confirm", "checked the ID card", "page", http.StatusSeeOther, docbridge.Converted, "", "identity confirmed for pairing \"p1\""},
		{"confirm with a stale diff refused", docbridge.IdentityMismatch, otherDate(), "confirm", "ok", "0123456789abcdef0123456789abcdef", http.StatusConflict, docbridge.Review, docbridge.IdentityMismatch, "test"},
		{"confirm without a note refused", docbridge.IdentityMismatch, otherDate(), "confirm", "", "page", http.StatusConflict, docbridge.Review, docbridge.IdentityMismatch, "test"},
		{"confirm unmapped code", docbridge.UnmappedCode, camille, "confirm", "type checked", "", http.StatusSeeOther, docbridge.Converted, "", "review confirmed: type checked"},
		{"missing trait cannot be confirmed", docbridge.MissingTrait, camille, "confirm", "fine", "", http.StatusConflict, docbridge.Review, docbridge.MissingTrait, "test"},
		// Issue 15 case 6: whatever the review, a document lacking its
		// traits is never confirmed.
		{"unmapped code without the traits cannot be confirmed", docbridge.UnmappedCode, docbridge.Patient{INS: camille.INS, INSSystem: camille.INSSystem},
			"confirm", "type checked", "", http.StatusConflict, docbridge.Review, docbridge.UnmappedCode, "test"},
		{"reject", docbridge.IdentityMismatch, otherDate(), "reject", "not the same person", "", http.StatusSeeOther, docbridge.Failed, docbridge.IdentityMismatch, "review rejected: not the same person"},
		{"set aside", docbridge.IdentityMismatch, otherDate(), "aside", "calling the lab", "", http.StatusSeeOther, docbridge.Review, docbridge.IdentityMismatch, "review set aside: calling the lab"},
		{"retry does not apply to a review", docbridge.IdentityMismatch, otherDate(), "retry", "", "", http.StatusConflict, docbridge.Review, docbridge.IdentityMismatch, "test"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.pair(camille)
			id := f.addDoc("urn:oid:1.2.3."+itoa(int64(i)), tt.patient, docbridge.Review, tt.reason)
			otto := f.signIn("otto")
			_, page := otto.get("/documents/" + itoa(id))
			fp := tt.fingerprint
			if fp == "page" {
				fp = fingerprintRe.FindStringSubmatch(page)[1]
			}
			resp, _ := otto.post("/documents/"+itoa(id)+"/"+tt.action, url.Values{"csrf": {otto.csrf}, "note": {tt.note}, "fingerprint": {fp}})
			if got := resp.StatusCode; got != tt.wantStatus {
				t.Errorf("status = %d, want %d", got, tt.wantStatus)
			}
			r := f.doc(id)
			if r.State != tt.wantState || r.Reason != tt.wantReason || !strings.HasPrefix(r.Message, tt.wantMsg) {
				t.Errorf("document is %s/%s %q, want %s/%s %q…", r.State, r.Reason, r.Message, tt.wantState, tt.wantReason, tt.wantMsg)
			}
			if tt.wantStatus == http.StatusSeeOther {
				h, _ := f.st.History(context.Background(), id)
				if got, want := h[len(h)-1].Actor, "user:otto"; got != want {
					t.Errorf("last event actor = %q, want %q", got, want)
				}
			}
		})
	}
}

func TestReviewPageShowsDiff(t *testing.T) {
	f := newFixture(t)
	f.pair(camille)
	id := f.addDoc("urn:oid:1.2.3.9", otherDate(), docbridge.Review, docbridge.IdentityMismatch)
	_, page := f.signIn("vera").get("/documents/" + itoa(id))
	for _, want := range []string{`id="diff"`, "birthDate", "1985-04-18", "1985-04-17"} {
		if !strings.Contains(page, want) {
			t.Errorf("review page lacks %q", want)
		}
	}
	if strings.Contains(page, `id="confirm"`) {
		t.Error("a viewer is offered the confirm button")
	}
}

// TestNoConfirmButtonForAnIncompleteIdentity: an operator is not offered
// to confirm a review of a document that lacks a trait, whatever its
// reason; a complete one in the same review is.
func TestNoConfirmButtonForAnIncompleteIdentity(t *testing.T) {
	f := newFixture(t)
	f.pair(camille)
	noPlace := camille
	noPlace.BirthPlace = ""
	otto := f.signIn("otto")
	for i, tt := range []struct {
		p    docbridge.Patient
		want bool
	}{{camille, true}, {noPlace, false}} {
		id := f.addDoc("urn:oid:1.2.3.2"+itoa(int64(i)), tt.p, docbridge.Review, docbridge.UnmappedCode)
		_, page := otto.get("/documents/" + itoa(id))
		if got := strings.Contains(page, `id="confirm"`); got != tt.want {
			t.Errorf("patient %d: confirm button shown = %t, want %t", i, got, tt.want)
		}
	}
}

func TestRetryAndRelease(t *testing.T) {
	tests := []struct {
		name      string
		state     docbridge.State
		reason    docbridge.Reason
		pairing   string
		action    string
		want      int
		wantState docbridge.State
	}{
		{"retry held mes-unavailable with a pairing: matched again", docbridge.Held, docbridge.MESUnavailable, "p1", "retry", http.StatusSeeOther, docbridge.Converted},
		{"retry failed mes-rejected", docbridge.Failed, docbridge.MESRejected, "p1", "retry", http.StatusSeeOther, docbridge.Converted},
		{"retry held without a pairing", docbridge.Held, docbridge.MESUnavailable, "", "retry", http.StatusSeeOther, docbridge.Converted},
		{"retry refused for ins-invalid", docbridge.Failed, docbridge.INSInvalid, "", "retry", http.StatusConflict, docbridge.Failed},
		{"release held not-paired", docbridge.Held, docbridge.NotPaired, "", "release", http.StatusSeeOther, docbridge.Converted},
		{"release refused for failed", docbridge.Failed, docbridge.MESRejected, "", "release", http.StatusConflict, docbridge.Failed},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			id := f.addDoc("urn:oid:1.2.4."+itoa(int64(i)), camille, docbridge.Converted, "")
			ctx := context.Background()
			if err := f.st.Transition(ctx, store.Transition{ID: id, From: docbridge.Converted, To: tt.state, Reason: tt.reason, PairingID: tt.pairing, Actor: "test"}); err != nil {
				t.Fatal(err)
			}
			otto := f.signIn("otto")
			resp, _ := otto.post("/documents/"+itoa(id)+"/"+tt.action, url.Values{"csrf": {otto.csrf}})
			if got := resp.StatusCode; got != tt.want {
				t.Errorf("status = %d, want %d", got, tt.want)
			}
			if got := f.doc(id).State; got != tt.wantState {
				t.Errorf("state = %s, want %s", got, tt.wantState)
			}
		})
	}
}

// TestConfirmedDecisionSticks follows a confirmed identity review into the
// matcher: the confirmed diff for the same pairing is accepted; a changed
// paired identity or another pairing is not.
func TestConfirmedDecisionSticks(t *testing.T) {
	f := newFixture(t)
	f.pair(camille)
	id := f.addDoc("urn:oid:1.2.5.1", otherDate(), docbridge.Review, docbridge.IdentityMismatch)
	otto := f.signIn("otto")
	_, page := otto.get("/documents/" + itoa(id))
	fp := fingerprintRe.FindStringSubmatch(page)[1]
	if resp, _ := otto.post("/documents/"+itoa(id)+"/confirm", url.Values{"csrf": {otto.csrf}, "note": {"ID card seen"}, "fingerprint": {fp}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("confirm status = %d", resp.StatusCode)
	}
	ctx := context.Background()
	m := &identity.Matcher{Pairings: f.st, Decisions: operate.DecisionLog{Store: f.st}}
	doc := f.doc(id).Doc
	if p, err := m.Match(ctx, doc); err != nil || p.ID != "p1" {
		t.Fatalf("Match after confirmation = %q, %v; want p1", p.ID, err)
	}
	if _, err := (&identity.Matcher{Pairings: f.st}).Match(ctx, doc); docbridge.ReasonOf(err) != docbridge.IdentityMismatch {
		t.Errorf("Match without decisions = %v, want identity-mismatch", err)
	}

	changed := camille
	changed.BirthPlace = "69123" // the paired identity changes: a new difference
	f.pair(changed)
	if _, err := m.Match(ctx, doc); docbridge.ReasonOf(err) != docbridge.IdentityMismatch {
		t.Errorf("Match after the paired identity changed = %v, want identity-mismatch", err)
	}

	f.pair(camille)
	if err := f.st.PutPairing(ctx, docbridge.Pairing{ID: "p2", MESPatient: "m2", Patient: camille, AccessToken: "t2"}); err != nil {
		t.Fatal(err)
	}
	// Two live pairings for one INS: a conflict for a person, never a guess.
	if p, err := m.Match(ctx, doc); docbridge.ReasonOf(err) != docbridge.PairingConflict {
		t.Errorf("Match with another pairing for the INS = %q, %v; want pairing-conflict", p.ID, err)
	}
}

func TestPatientSearchIsAudited(t *testing.T) {
	f := newFixture(t)
	f.addDoc("urn:oid:1.2.6.1", camille, docbridge.Review, docbridge.UnmappedCode)
	f.addDoc("urn:oid:1.2.6.2", otherDate(), docbridge.Converted, "")
	vera := f.signIn("vera")
	tests := []struct {
		name     string
		post     url.Values // nil: a GET of query
		query    string
		wantRows int
		audited  string
	}{
		{"filter by GET", nil, "?state=review", 1, ""},
		{"filter by POST", url.Values{"state": {"review"}}, "", 1, ""},
		{"INS", url.Values{"kind": {"ins"}, "key": {camille.INS}}, "", 2, "console document search by patient ins"},
		{"local id", url.Values{"kind": {"local"}, "key": {"DBT-000001"}}, "", 2, "console document search by patient local"},
		{"other INS", url.Values{"kind": {"ins"}, "key": {"192036912304577"}}, "", 0, "console document search by patient ins"},
		// A key in the URL is not searched: it would sit in logs and history.
		{"INS in the URL", nil, "?state=review&kind=ins&key=" + camille.INS, 1, ""},
	}
	for _, tt := range tests {
		f.audits = nil
		var resp *http.Response
		var body string
		if tt.post != nil {
			tt.post.Set("csrf", vera.csrf)
			resp, body = vera.post("/documents", tt.post)
		} else {
			resp, body = vera.get("/documents" + tt.query)
		}
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: HTTP %d", tt.name, resp.StatusCode)
		}
		if got := strings.Count(body, `<tr><td><a href="/documents/`); got != tt.wantRows {
			t.Errorf("%s: %d rows, want %d", tt.name, got, tt.wantRows)
		}
		if tt.post == nil && strings.Contains(body, camille.INS) {
			t.Errorf("%s: the page echoes the INS of the URL", tt.name)
		}
		var got []string
		for _, a := range f.audits {
			if strings.Contains(a.msg, "search") {
				got = append(got, a.actor+" "+a.msg)
				if strings.Contains(a.msg, camille.INS) || strings.Contains(a.msg, "DBT") {
					t.Errorf("audit message %q holds the key", a.msg)
				}
			}
		}
		want := []string(nil)
		if tt.audited != "" {
			want = []string{"user:vera " + tt.audited}
		}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("%s: audits = %q, want %q", tt.name, got, want)
		}
	}
	// Without the session's CSRF token a search is refused.
	if resp, _ := vera.post("/documents", url.Values{"kind": {"ins"}, "key": {camille.INS}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("search without CSRF token: HTTP %d, want 403", resp.StatusCode)
	}
}
