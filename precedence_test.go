package docbridge

import (
	"fmt"
	"slices"
	"testing"
)

// TestPrecedenceListsEveryReason: every reason of the vocabulary has its
// place in the fixed order, once, and the order keeps the reasons of one
// state together, from the most severe state down.
func TestPrecedenceListsEveryReason(t *testing.T) {
	seen := map[Reason]bool{}
	for i, r := range precedence {
		if seen[r] {
			t.Errorf("%s is listed twice", r)
		}
		seen[r] = true
		if !r.Known() {
			t.Errorf("%s is not in the vocabulary", r)
		}
		if i > 0 && severity[r.State()] > severity[precedence[i-1].State()] {
			t.Errorf("%s (%s) comes after %s (%s), a less severe state", r, r.State(), precedence[i-1], precedence[i-1].State())
		}
	}
	for _, r := range Reasons() {
		if !seen[r] {
			t.Errorf("%s has no place in precedence: add it", r)
		}
	}
}

// TestMoreSevereEveryPair checks the rule over every pair of reasons: the
// more severe state wins, whichever reason is found first, and the order
// is total and antisymmetric.
func TestMoreSevereEveryPair(t *testing.T) {
	rs := append(Reasons(), "no-such-reason")
	for _, a := range rs {
		for _, b := range rs {
			ab, ba := MoreSevere(a, b), MoreSevere(b, a)
			if a == b {
				if ab {
					t.Errorf("MoreSevere(%s, %s) = true, want false", a, a)
				}
				continue
			}
			if ab == ba {
				t.Errorf("MoreSevere(%s, %s) = %t and MoreSevere(%s, %s) = %t: exactly one must hold", a, b, ab, b, a, ba)
			}
			if sa, sb := severity[a.State()], severity[b.State()]; sa > sb && !ab {
				t.Errorf("MoreSevere(%s [%s], %s [%s]) = false, want the more severe state to win", a, a.State(), b, b.State())
			}
			// Worst gives the same answer whatever order the problems
			// were found in.
			for _, order := range [][]Reason{{a, b}, {b, a}} {
				d := &Document{}
				for _, r := range order {
					d.AddProblem(r, SeverityError, "%s", r)
				}
				want := b
				if ab {
					want = a
				}
				if got := d.Worst(); got == nil || got.Code != want {
					t.Errorf("Worst of %v = %+v, want %s", order, got, want)
				}
			}
		}
	}
}

// TestMoreSevereTransitive: the order is a strict total order, so a list
// of problems sorts the same way from any starting order.
func TestMoreSevereTransitive(t *testing.T) {
	rs := Reasons()
	for _, a := range rs {
		for _, b := range rs {
			for _, c := range rs {
				if MoreSevere(a, b) && MoreSevere(b, c) && !MoreSevere(a, c) {
					t.Errorf("%s > %s > %s but not %s > %s", a, b, c, a, c)
				}
			}
		}
	}
}

func TestWorst(t *testing.T) {
	tests := []struct {
		name     string
		problems []Problem
		want     Reason
	}{
		{"none", nil, ""},
		{"warnings only", []Problem{{Code: INSInvalid, Severity: SeverityWarning}}, ""},
		{"a warning never wins", []Problem{{Code: MissingMetadata, Severity: SeverityError}, {Code: INSInvalid, Severity: SeverityWarning}}, MissingMetadata},
		// Issue 15 case 7: a bare PDF in an ORU lacks its facility type
		// (found first, by the converter) and has a wrong INS key (found
		// after, by the identity checks): the refusal wins.
		{"failed over review, found last", []Problem{{Code: MissingMetadata, Severity: SeverityError}, {Code: INSInvalid, Severity: SeverityError}}, INSInvalid},
		// Issue 15 case 6: an identity that no decision can complete
		// comes before a metadata review a person could confirm.
		{"missing trait over unmapped code", []Problem{{Code: UnmappedCode, Severity: SeverityError}, {Code: MissingTrait, Severity: SeverityError}}, MissingTrait},
		{"review over held", []Problem{{Code: NotPaired, Severity: SeverityError}, {Code: IdentityMismatch, Severity: SeverityError}}, IdentityMismatch},
		{"first among the same reason", []Problem{{Code: MissingTrait, Severity: SeverityError, Message: "1"}, {Code: MissingTrait, Severity: SeverityError, Message: "2"}}, MissingTrait},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &Document{Problems: tt.problems}
			got := d.Worst()
			if tt.want == "" {
				if got != nil {
					t.Errorf("Worst = %+v, want nil", got)
				}
				return
			}
			if got == nil || got.Code != tt.want {
				t.Fatalf("Worst = %+v, want %s", got, tt.want)
			}
			if i := slices.IndexFunc(tt.problems, func(p Problem) bool { return p.Code == tt.want && p.Severity == SeverityError }); got.Message != tt.problems[i].Message {
				t.Errorf("Worst = %q, want the first %s problem %q", got.Message, tt.want, tt.problems[i].Message)
			}
		})
	}
}

func ExampleMoreSevere() {
	fmt.Println(MoreSevere(INSInvalid, MissingMetadata), MoreSevere(MissingTrait, UnmappedCode), MoreSevere(NotPaired, MissingMetadata))
	// Output: true true false
}
