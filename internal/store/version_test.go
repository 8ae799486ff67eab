package store

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/docbridge/docbridge"
)

// TestVersionDiff: the fields two versions differ in, by name only; a
// retransmission's creation time (MSH-7) is not a difference when the
// content is the same.
func TestVersionDiff(t *testing.T) {
	tests := []struct {
		name   string
		change func(d *docbridge.Document)
		want   []string
	}{
		{"same", func(d *docbridge.Document) {}, nil},
		{"problems and provenance only", func(d *docbridge.Document) {
			d.Problems = []docbridge.Problem{{Code: docbridge.UnmappedCode, Severity: docbridge.SeverityError, Message: "x"}}
			d.Provenance = map[string]string{"facilityType": "lab"}
		}, nil},
		{"creation of the same content", func(d *docbridge.Document) {
			d.Creation, d.CreationSource = "2026-03-29T08:00:00+01:00", "20260329080000"
		}, nil},
		{"creation that was missing", func(d *docbridge.Document) {}, []string{"creation"}},
		{"a value both took from a profile", func(d *docbridge.Document) {
			d.FacilityType = docbridge.Coding{System: "urn:oid:1.2.250.1.71.4.2.4", Code: "SA07"}
			d.Provenance = map[string]string{"facilityType": "profile:lab"}
		}, []string{"facilityType"}},
		{"a value from an index row", func(d *docbridge.Document) {
			d.Title = "Autre"
			d.Provenance = map[string]string{"title": "index:4"}
		}, []string{"title"}},
		{"INS", func(d *docbridge.Document) { d.Patient.INS = "179035121518912" }, []string{"patient.ins"}},
		{"another patient", func(d *docbridge.Document) {
			d.Patient.BirthName, d.Patient.FirstNames, d.Patient.Sex = "AUTRE", []string{"Paul"}, "M"
		}, []string{"patient.birthName", "patient.firstNames", "patient.sex"}},
		{"content", func(d *docbridge.Document) {
			d.Content = []byte("other")
			d.Size, d.SHA256, d.SHA1 = 5, hexSHA256(d.Content), "x"
		}, []string{"content"}},
		{"action", func(d *docbridge.Document) { d.Action = docbridge.Delete }, []string{"action"}},
		{"title and type", func(d *docbridge.Document) { d.Title, d.Type.Code = "Autre", "11488-4" }, []string{"title", "type"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, b := newDoc("urn:oid:1.9", "content"), newDoc("urn:oid:1.9", "content")
			switch tc.name {
			case "creation that was missing":
				a.Creation = ""
			case "a value both took from a profile":
				a.FacilityType = docbridge.Coding{System: "urn:oid:1.2.250.1.71.4.2.4", Code: "SA25"}
				a.Provenance = map[string]string{"facilityType": "profile:lab"}
			case "a value from an index row":
				a.Provenance = map[string]string{"title": "index:4"}
			}
			tc.change(b)
			got, err := versionDiff(a, b)
			if err != nil {
				t.Fatal(err)
			}
			if !cmp.Equal(got, tc.want) {
				t.Errorf("versionDiff = %q, want %q", got, tc.want)
			}
		})
	}
}

// testVersions: a document whose uniqueId is stored is the same version
// (Existing), a correction of versions that never reached MES, or a
// conflict in review; a deletion is its own version.
func testVersions(t *testing.T, open opener) {
	const uid = "urn:oid:1.2.250.1.999.5"
	otherINS := func(d *docbridge.Document) { d.Patient.INS = "179035121518912" }
	otherTitle := func(d *docbridge.Document) { d.Title = "Compte rendu corrigé" }
	otherProfile := func(d *docbridge.Document) {
		d.FacilityType = docbridge.Coding{System: "urn:oid:1.2.250.1.71.4.2.4", Code: "SA07"}
		d.Provenance = map[string]string{"facilityType": "profile:lab"}
	}
	tests := []struct {
		name string
		// stored is the state the first version is moved to (converted:
		// left as recorded); attempted counts a delivery attempt.
		stored    docbridge.State
		attempted bool
		change    func(d *docbridge.Document)
		// want: "existing", "corrects" (the stored one superseded, the new
		// one converted) or the conflicting fields.
		want string
	}{
		{"the same, delivered", docbridge.Delivered, true, func(d *docbridge.Document) {}, "existing"},
		{"the same, failed", docbridge.Failed, false, func(d *docbridge.Document) {}, "existing"},
		{"a deletion with the same bytes", docbridge.Delivered, true, func(d *docbridge.Document) { d.Action = docbridge.Delete }, "new"},
		{"fixed metadata, stored in review", docbridge.Review, false, otherTitle, "corrects"},
		{"fixed metadata, stored failed", docbridge.Failed, false, otherTitle, "corrects"},
		{"fixed metadata, stored delivered", docbridge.Delivered, true, otherTitle, "title"},
		{"fixed metadata, stored held", docbridge.Held, false, otherTitle, "title"},
		{"fixed metadata, stored in flight", docbridge.Converted, false, otherTitle, "title"},
		{"fixed metadata, review after an attempt", docbridge.Review, true, otherTitle, "title"},
		{"another INS, stored in review", docbridge.Review, false, otherINS, "patient.ins"},
		{"another INS, stored failed (refused)", docbridge.Failed, false, otherINS, "corrects"},
		{"another INS, failed after an attempt", docbridge.Failed, true, otherINS, "patient.ins"},
		{"another INS, stored delivered", docbridge.Delivered, true, otherINS, "patient.ins"},
		{"another profile value, stored delivered", docbridge.Delivered, true, otherProfile, "existing"},
		{"another profile value, stored in review", docbridge.Review, false, otherProfile, "corrects"},
		{"other content and INS, delivered", docbridge.Delivered, true, func(d *docbridge.Document) {
			otherINS(d)
			d.Content = []byte("report v2")
			d.Size, d.SHA256 = int64(len(d.Content)), hexSHA256(d.Content)
		}, "content, patient.ins"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t, Options{})
			stored := newDoc(uid, "report")
			stored.FacilityType = docbridge.Coding{System: "urn:oid:1.2.250.1.71.4.2.4", Code: "SA25"}
			stored.Provenance = map[string]string{"facilityType": "profile:lab"}
			_, first := converted(t, s, "first", NewDocument{Doc: stored, State: docbridge.Converted})
			if tc.stored != docbridge.Converted {
				transition(t, s, Transition{ID: first[0].ID, From: docbridge.Converted, To: tc.stored, Actor: "test", Attempted: tc.attempted})
			}
			d := newDoc(uid, "report")
			d.FacilityType, d.Provenance = stored.FacilityType, stored.Provenance
			tc.change(d)
			in, refs := converted(t, s, "second", NewDocument{Doc: d, State: docbridge.Converted})
			got, want := refs[0], DocRef{ID: refs[0].ID, State: docbridge.Converted}
			old := document(t, s, first[0].ID)
			switch tc.want {
			case "existing":
				want = DocRef{ID: first[0].ID, Existing: true, State: tc.stored}
			case "new":
			case "corrects":
				if old.State != docbridge.Superseded || old.Message != fmt.Sprintf("corrected by document %d of input %d", got.ID, in) {
					t.Errorf("stored version: %s %q, want superseded, corrected by document %d of input %d", old.State, old.Message, got.ID, in)
				}
			default:
				want.State, want.Reason, want.Message = docbridge.Review, docbridge.VersionConflict, got.Message
				if !strings.Contains(got.Message, fmt.Sprintf("document %d (%s)", first[0].ID, tc.stored)) ||
					!strings.Contains(got.Message, "differs in "+tc.want+";") {
					t.Errorf("conflict message %q: want document %d and the fields %q", got.Message, first[0].ID, tc.want)
				}
				if strings.Contains(got.Message, "179035121518912") || strings.Contains(got.Message, "corrigé") {
					t.Errorf("conflict message %q quotes a value", got.Message)
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("ref (-want +got):\n%s", diff)
			}
			if tc.want != "corrects" && old.State != tc.stored {
				t.Errorf("stored version is %s, want %s (untouched)", old.State, tc.stored)
			}
			// Recorded again from a third input: the same version as the second.
			if tc.want != "existing" {
				_, again := converted(t, s, "third", NewDocument{Doc: d, State: docbridge.Converted})
				if !again[0].Existing || again[0].ID != got.ID {
					t.Errorf("the second version sent again = %+v, want Existing %d", again[0], got.ID)
				}
			}
		})
	}
}

// testAcceptConvertedResend: a resend of an input gets the stored
// documents' current states, in order, so the caller can answer as the
// first time.
func testAcceptConvertedResend(t *testing.T, open opener) {
	ctx := context.Background()
	s := open(t, Options{})
	convert := func(in Input) (Conversion, error) {
		return Conversion{Docs: []NewDocument{
			{Doc: newDoc("urn:oid:3.1", "one"), State: docbridge.Failed, Reason: docbridge.INSInvalid, Message: "bad check key"},
			{Doc: newDoc("urn:oid:3.2", "two"), State: docbridge.Failed, Reason: docbridge.INSInvalid, Message: "bad check key"},
		}}, nil
	}
	first, err := s.AcceptConverted(ctx, envelope([]byte("msg")), convert)
	if err != nil {
		t.Fatal(err)
	}
	again, err := s.AcceptConverted(ctx, envelope([]byte("msg")), convert)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Duplicate || again.ID != first.ID {
		t.Fatalf("again = %+v, want a duplicate of %d", again.Accepted, first.ID)
	}
	if diff := cmp.Diff(first.Docs, again.Docs); diff != "" {
		t.Errorf("duplicate's Docs (-first +again):\n%s", diff)
	}
}
