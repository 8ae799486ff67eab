package bulk

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/store"
)

// settledStore is a Sink and Store whose every input is converted into one
// document that ends in the state end gives, by body.
type settledStore struct {
	mu   sync.Mutex
	body map[int64]string
	end  map[string]docbridge.State
}

func (s *settledStore) Accept(_ context.Context, e *docbridge.Envelope) (docbridge.Accepted, error) {
	b, _ := io.ReadAll(e.Body)
	s.mu.Lock()
	defer s.mu.Unlock()
	id := int64(len(s.body) + 1)
	s.body[id] = string(b)
	return docbridge.Accepted{ID: id, State: docbridge.Converted}, nil
}

func (s *settledStore) Input(_ context.Context, id int64) (store.Input, error) {
	return store.Input{ID: id, State: docbridge.Converted}, nil
}

func (s *settledStore) Documents(_ context.Context, f store.Filter) ([]store.DocRow, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.body[f.InputID]
	st := s.end[b]
	r := docbridge.Reason("")
	if st == docbridge.Held {
		r = docbridge.MESUnavailable
	}
	return []store.DocRow{{Doc: &docbridge.Document{UniqueID: "urn:uuid:" + b}, State: st, Reason: r}}, nil
}

func (s *settledStore) CountsByGroup(context.Context) ([]store.Count, error)      { return nil, nil }
func (s *settledStore) PendingInputs(context.Context, int) ([]store.Input, error) { return nil, nil }

// TestRunSaysWhyItDisagrees runs two files whose documents the dry run's
// rules say are held for a pairing and delivered, and which end delivered
// (the pairing came meanwhile) and held for MES: each says why, and the
// summary counts them; a file that ends as predicted says nothing.
func TestRunSaysWhyItDisagrees(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "archive")
	writeFiles(t, dir, map[string]string{"a.xml": "paired-later", "b.xml": "mes-down", "c.xml": "as-said"})
	ss := &settledStore{body: map[int64]string{}, end: map[string]docbridge.State{
		"paired-later": docbridge.Delivered, "mes-down": docbridge.Held, "as-said": docbridge.Delivered}}
	res, err := Run(context.Background(), RunOptions{
		Options: Options{
			Root: dir, ScratchDir: t.TempDir(),
			Convert: convertFunc(func(raw []byte, _ docbridge.Origin) (docbridge.Format, []*docbridge.Document, error) {
				return docbridge.FormatCDA, []*docbridge.Document{{UniqueID: "urn:uuid:" + string(raw)}}, nil
			}),
			Check: func(*docbridge.Document) []docbridge.Problem { return nil },
			Match: matchFunc(func(d *docbridge.Document) error {
				if strings.HasSuffix(d.UniqueID, "paired-later") {
					return docbridge.Errorf(docbridge.NotPaired, "no pairing")
				}
				return nil
			}),
		},
		Sink: ss, Store: ss, Poll: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	if got, want := res.Summary.Disagreements, 2; got != want {
		t.Errorf("Disagreements = %d, want %d", got, want)
	}
	got := map[string]string{}
	for d := range res.Documents(context.Background()) {
		got[d.Path] = d.Message
	}
	for path, want := range map[string]string{
		"a.xml": "the dry run said held (not-paired): the patient's pairing arrived",
		"b.xml": "the dry run said delivered: MES was unavailable",
	} {
		if !strings.Contains(got[path], want) {
			t.Errorf("%s: message %q does not say %q", path, got[path], want)
		}
	}
	if m := got["c.xml"]; m != "" {
		t.Errorf("c.xml ended as predicted but says %q", m)
	}
}

type matchFunc func(d *docbridge.Document) error

func (f matchFunc) Match(_ context.Context, d *docbridge.Document) (docbridge.Pairing, error) {
	return docbridge.Pairing{}, f(d)
}

func TestExplain(t *testing.T) {
	for _, tt := range []struct {
		p    prediction
		it   Item
		want string
	}{
		{prediction{Held, docbridge.NotPaired}, Item{Outcome: Delivered}, "pairing arrived"},
		{prediction{Delivered, ""}, Item{Outcome: Held, Reason: docbridge.PairingRevoked}, "revoked"},
		{prediction{Delivered, ""}, Item{Outcome: Pending}, "--wait"},
		{prediction{Delivered, ""}, Item{Outcome: Failed, Reason: docbridge.MESRejected}, "MES refused"},
		{prediction{Delivered, ""}, Item{Outcome: Superseded}, "newer version"},
		{prediction{Held, docbridge.NotPaired}, Item{Outcome: Failed, Reason: docbridge.PairingExpired}, "hold_max"},
		{prediction{Delivered, ""}, Item{Outcome: Review, Reason: docbridge.IdentityMismatch}, "changed while the run went on"},
	} {
		if got := explain(tt.p, tt.it); !strings.Contains(got, tt.want) {
			t.Errorf("explain(%v, %s %s) = %q, want it to say %q", tt.p, tt.it.Outcome, tt.it.Reason, got, tt.want)
		}
	}
}
