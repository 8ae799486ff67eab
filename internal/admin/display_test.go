package admin

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/store"
)

// TestDocumentDisplay: a document waiting for the patient's pairing says
// so instead of showing the far-future next attempt the pipeline gives it;
// a document held for MES shows its next attempt; the list's Created
// column is the document's own creation date, Received the store's time.
func TestDocumentDisplay(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	far := time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC) // the pipeline's wait-for-pairing sentinel
	held := f.addDoc("urn:oid:1.2.8.1", camille, docbridge.Held, docbridge.NotPaired)
	if err := f.st.Transition(ctx, store.Transition{ID: held, From: docbridge.Held, To: docbridge.Held, Reason: docbridge.NotPaired, Actor: "test", NextAttempt: far}); err != nil {
		t.Fatal(err)
	}
	soon := time.Now().Add(time.Hour).UTC()
	outage := f.addDoc("urn:oid:1.2.8.2", camille, docbridge.Held, docbridge.MESUnavailable)
	if err := f.st.Transition(ctx, store.Transition{ID: outage, From: docbridge.Held, To: docbridge.Held, Reason: docbridge.MESUnavailable, Actor: "test", NextAttempt: soon}); err != nil {
		t.Fatal(err)
	}
	c := f.signIn("vera")

	tests := []struct {
		name          string
		path          string
		want, notWant []string
	}{
		{"waiting for a pairing", "/documents/" + itoa(held),
			[]string{"waits for the patient's pairing"}, []string{"2262", "9999", "next "}},
		{"held for MES", "/documents/" + itoa(outage),
			[]string{"next " + soon.Format("2006-01-02 15:04")}, []string{"waits for the patient"}},
		{"list", "/documents",
			[]string{`<td class="created">2021-04-01 13:47</td>`, `>Received</th>`, `<td class="received">` + time.Now().UTC().Format("2006-01-02")}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, body := c.get(tt.path)
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("%s lacks %q:\n%s", tt.path, w, body)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(body, w) {
					t.Errorf("%s shows %q", tt.path, w)
				}
			}
		})
	}
}

func TestCreation(t *testing.T) {
	for in, want := range map[string]string{
		"2021-04-01T13:47:45+01:00": "2021-04-01 13:47",
		"2021-04-01":                "2021-04-01",
		"2021-04-01T13:47":          "2021-04-01 13:47",
		"":                          "—",
		"2021":                      "2021",
	} {
		if got := creation(in); got != want {
			t.Errorf("creation(%q) = %q, want %q", in, got, want)
		}
	}
}
