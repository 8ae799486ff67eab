package pipeline

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/store"
)

// multiConvert reads inputs of the form "doc|doc|…", each doc as
// fakeConvert reads it plus "meta" (a missing-metadata problem, found by
// the converter before the identity checks run) and "notraits" (the five
// traits absent): one input, several documents.
func multiConvert(raw []byte) (docbridge.Format, []*docbridge.Document, error) {
	var docs []*docbridge.Document
	for _, part := range strings.Split(string(raw), "|") {
		_, ds, err := fakeConvert([]byte(part))
		if err != nil {
			return "", nil, err
		}
		d := ds[0]
		if strings.Contains(part, ";meta") {
			d.AddProblem(docbridge.MissingMetadata, docbridge.SeverityError, "the facility type cannot be derived")
		}
		if strings.Contains(part, ";notraits") {
			d.Patient = docbridge.Patient{INS: d.Patient.INS, INSSystem: d.Patient.INSSystem}
		}
		sum1, sum256 := sha1.Sum([]byte(part)), sha256.Sum256([]byte(part))
		d.Content, d.Size, d.SHA1, d.SHA256 = []byte(part), int64(len(part)), hex.EncodeToString(sum1[:]), hex.EncodeToString(sum256[:])
		docs = append(docs, d)
	}
	return docbridge.FormatHL7v2, docs, nil
}

// TestMostSevereProblemWins (issue 15 case 7): the state of a document and
// the answer to its input come from its most severe problem, whatever
// order the problems were found in.
func TestMostSevereProblemWins(t *testing.T) {
	tests := []struct {
		name      string
		body      string
		input     docbridge.State // the answer to the input
		reason    docbridge.Reason
		msgHas    string
		docs      map[string]docbridge.State
		docReason map[string]docbridge.Reason
	}{
		{"metadata found first, INS key wrong: refused", "urn:oid:8.1;meta;ins=285047505612399", docbridge.Failed, docbridge.INSInvalid, "check key",
			map[string]docbridge.State{"urn:oid:8.1": docbridge.Failed}, map[string]docbridge.Reason{"urn:oid:8.1": docbridge.INSInvalid}},
		{"unmapped type, no traits: missing-trait", "urn:oid:8.2;type=x;notraits", docbridge.Converted, "", "",
			map[string]docbridge.State{"urn:oid:8.2": docbridge.Review}, map[string]docbridge.Reason{"urn:oid:8.2": docbridge.MissingTrait}},
		{"one of two documents refused: the input is refused, the other kept", "urn:oid:8.3|urn:oid:8.4;meta;ins=285047505612399",
			docbridge.Failed, docbridge.INSInvalid, "(document 2 of 2 is refused; the other one was kept)",
			map[string]docbridge.State{"urn:oid:8.3": docbridge.Converted, "urn:oid:8.4": docbridge.Failed},
			map[string]docbridge.Reason{"urn:oid:8.4": docbridge.INSInvalid}},
		{"two documents in review: not a refusal", "urn:oid:8.5;meta|urn:oid:8.6;type=x", docbridge.Converted, "", "",
			map[string]docbridge.State{"urn:oid:8.5": docbridge.Review, "urn:oid:8.6": docbridge.Review},
			map[string]docbridge.Reason{"urn:oid:8.5": docbridge.MissingMetadata, "urn:oid:8.6": docbridge.UnmappedCode}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, nil)
			f.p.o.Converter = ConverterFunc(multiConvert)
			acc := f.accept(t, tt.body)
			if acc.State != tt.input || acc.Reason != tt.reason || !strings.Contains(acc.Message, tt.msgHas) {
				t.Errorf("Accept = %s/%s %q, want %s/%s mentioning %q", acc.State, acc.Reason, acc.Message, tt.input, tt.reason, tt.msgHas)
			}
			for id, st := range tt.docs {
				wantState(t, f.doc(t, id), st, tt.docReason[id])
			}
		})
	}
}

// TestConfirmedIncompleteIdentityStopsAtMatching (issue 15 case 6): a
// document lacking its traits that a person moved on from review (a
// confirmation recorded before this rule, or any path to converted) is
// stopped by matching as missing-trait, never identity-mismatch, and is
// never sent.
func TestConfirmedIncompleteIdentityStopsAtMatching(t *testing.T) {
	f := newFixture(t, nil)
	f.p.o.Converter = ConverterFunc(multiConvert)
	f.pair(t)
	f.accept(t, "urn:oid:8.7;type=x;notraits")
	r := f.doc(t, "urn:oid:8.7")
	wantState(t, r, docbridge.Review, docbridge.MissingTrait)
	for try := range 2 {
		r = f.doc(t, "urn:oid:8.7")
		if err := f.st.Transition(t.Context(), store.Transition{ID: r.ID, From: r.State, To: docbridge.Converted, Actor: "user:test",
			Message: "review confirmed: forced"}); err != nil {
			t.Fatal(err)
		}
		f.settle(t)
		if r := f.doc(t, "urn:oid:8.7"); r.State != docbridge.Review || r.Reason != docbridge.MissingTrait {
			t.Fatalf("after confirmation %d: %s/%s, want review/missing-trait", try+1, r.State, r.Reason)
		}
	}
	if n := f.requests(); n != 0 {
		t.Errorf("%d requests to MES, want none", n)
	}
}
