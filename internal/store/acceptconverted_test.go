package store

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/audit"
)

// inputDoc is a document whose content is the input body itself.
func inputDoc(uniqueID, body string) *docbridge.Document {
	d := newDoc(uniqueID, body)
	d.Content, d.ContentIsInput = nil, true
	return d
}

func testAcceptConverted(t *testing.T, open opener) {
	const body = "<ClinicalDocument/>"
	errRead := errors.New("cannot read the input")
	tests := []struct {
		name    string
		prepare func(t *testing.T, s *Store) // before AcceptConverted
		conv    Conversion
		convErr error
		// want
		state    docbridge.State
		reason   docbridge.Reason
		docs     int
		deferred string // in Converted.Deferred's message; "" for none
		kinds    []audit.Kind
	}{{
		name: "converted",
		conv: Conversion{Docs: []NewDocument{
			{Doc: newDoc("urn:oid:1.1", "first"), State: docbridge.Converted},
			{Doc: inputDoc("urn:oid:1.2", body), State: docbridge.Review, Reason: docbridge.UnmappedCode, Message: "type not mapped"},
		}},
		state: docbridge.Converted, docs: 2,
		kinds: []audit.Kind{audit.InputAccepted, audit.DocumentCreated, audit.DocumentCreated, audit.InputConverted},
	}, {
		name:  "refused",
		conv:  Conversion{Refusal: docbridge.Errorf(docbridge.Malformed, "not XML")},
		state: docbridge.Failed, reason: docbridge.Malformed,
		kinds: []audit.Kind{audit.InputAccepted, audit.InputFailed},
	}, {
		name:    "convert cannot read",
		convErr: errRead,
		state:   docbridge.Received, deferred: errRead.Error(),
		kinds: []audit.Kind{audit.InputAccepted},
	}, {
		name:  "invalid document",
		conv:  Conversion{Docs: []NewDocument{{Doc: &docbridge.Document{UniqueID: "urn:oid:1.3", SHA256: "00"}, State: docbridge.Converted}}},
		state: docbridge.Received, deferred: "document 0",
		kinds: []audit.Kind{audit.InputAccepted},
	}, {
		name: "recording fails",
		prepare: func(t *testing.T, s *Store) {
			if _, err := s.w.Exec(`DROP TABLE conversions`); err != nil {
				t.Fatal(err)
			}
		},
		conv:  Conversion{Docs: []NewDocument{{Doc: newDoc("urn:oid:1.4", "fourth"), State: docbridge.Converted}}},
		state: docbridge.Received, deferred: "record the conversion",
		kinds: []audit.Kind{audit.InputAccepted},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t, Options{})
			ctx := context.Background()
			if tt.prepare != nil {
				tt.prepare(t, s)
			}
			e := envelope([]byte(body))
			e.Sidecar = []byte(`{"title":"x"}`)
			var seen Input
			var content []byte
			c, err := s.AcceptConverted(ctx, e, func(in Input) (Conversion, error) {
				seen = in
				content, _ = s.ReadContent(in.SHA256)
				return tt.conv, tt.convErr
			})
			if err != nil {
				t.Fatalf("AcceptConverted: %v", err)
			}
			if seen.ID != 0 || seen.Source != e.Source || !bytes.Equal(seen.Sidecar, e.Sidecar) || seen.SHA256 != hexSHA256([]byte(body)) || string(content) != body {
				t.Errorf("convert saw %+v reading %q; want no id, the envelope's source, sidecar and hash, and the body", seen, content)
			}
			if c.State != tt.state || c.Reason != tt.reason || len(c.Docs) != tt.docs || c.Duplicate || c.ID == 0 {
				t.Errorf("AcceptConverted = %+v, want a new input %s/%s with %d documents", c, tt.state, tt.reason, tt.docs)
			}
			if got := errString(c.Deferred); !strings.Contains(got, tt.deferred) || (tt.deferred == "") != (c.Deferred == nil) {
				t.Errorf("Deferred = %v, want %q", c.Deferred, tt.deferred)
			}
			in, err := s.Input(ctx, c.ID)
			if err != nil || in.State != tt.state || in.Reason != tt.reason || !bytes.Equal(in.Sidecar, e.Sidecar) {
				t.Errorf("stored input = %+v, %v; want %s/%s with the sidecar", in, err, tt.state, tt.reason)
			}
			for i, r := range c.Docs {
				d := document(t, s, r.ID)
				nd := tt.conv.Docs[i]
				if r.Existing || d.State != nd.State || d.Reason != nd.Reason || d.InputID != c.ID {
					t.Errorf("document %d = %+v (ref %+v), want a new %s/%s of input %d", i, d, r, nd.State, nd.Reason, c.ID)
				}
				if b, err := s.ReadContent(d.SHA256); err != nil || d.SHA256 != nd.Doc.SHA256 {
					t.Errorf("document %d content %s: %q, %v", i, d.SHA256, b, err)
				}
			}
			rs := allRecords(t, s)
			if diff := cmp.Diff(tt.kinds, kinds(rs)); diff != "" {
				t.Errorf("audit kinds (-want +got):\n%s", diff)
			}
			if _, err := s.VerifyAudit(ctx, nil); err != nil {
				t.Errorf("VerifyAudit: %v", err)
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// testAcceptConvertedDuplicate: bytes stored before are not converted
// again, and the answer is the stored input's state.
func testAcceptConvertedDuplicate(t *testing.T, open opener) {
	s := open(t, Options{})
	ctx := context.Background()
	refuse := func(Input) (Conversion, error) {
		return Conversion{Refusal: docbridge.Errorf(docbridge.Malformed, "not XML")}, nil
	}
	first, err := s.AcceptConverted(ctx, envelope([]byte("bad")), refuse)
	if err != nil {
		t.Fatal(err)
	}
	again, err := s.AcceptConverted(ctx, envelope([]byte("bad")), func(Input) (Conversion, error) {
		t.Error("convert called for bytes stored before")
		return Conversion{}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := first
	want.Duplicate = true
	if diff := cmp.Diff(want, again); diff != "" {
		t.Errorf("second AcceptConverted (-want +got):\n%s", diff)
	}
	if again.State != docbridge.Failed || again.Reason != docbridge.Malformed || again.Message != "not XML" {
		t.Errorf("duplicate says %s/%s %q, want the stored refusal", again.State, again.Reason, again.Message)
	}
}

// testAcceptConvertedRefused: what Accept refuses is refused before any
// conversion, and leaves nothing behind.
func testAcceptConvertedRefused(t *testing.T, open opener) {
	s := open(t, Options{MaxInputSize: 4})
	_, err := s.AcceptConverted(context.Background(), envelope([]byte("too long")), func(Input) (Conversion, error) {
		t.Error("convert called for a refused input")
		return Conversion{}, nil
	})
	if docbridge.ReasonOf(err) != docbridge.TooLarge {
		t.Errorf("AcceptConverted of a big input: %v, want TooLarge", err)
	}
	if got := files(t, filepath.Join(s.dir, contentDir)); len(got) != 0 {
		t.Errorf("content left behind: %v", got)
	}
}
