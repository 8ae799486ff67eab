package docbridge

// Problem precedence (docs/architecture.md §3): when one document or one input has
// several problems, the most severe outcome wins, whatever order the
// problems were found in. This file is the rule's one home: every place
// that chooses a state from problems calls MoreSevere or Document.Worst.

// severity ranks the states a reason can stop a document in: failed over
// review over held. Other states (delivered, for duplicate) rank lowest.
var severity = map[State]int{Failed: 3, Review: 2, Held: 1}

// precedence orders the reasons of equal severity, first wins. Within
// failed, a refusal of the input's form comes before one of its identity,
// then the outcomes of delivery. Within review, identity reasons come
// before metadata ones, and among identity reasons those no decision can
// settle (a missing INS or trait: the source must be fixed) come first, so
// that a person is never asked to confirm a document whose identity is
// incomplete. Within held, docbridge's own trouble comes before MES's,
// before waiting for a patient. Every reason of the vocabulary is listed
// (a test checks it).
var precedence = []Reason{
	// failed
	ForbiddenConstruct, TooLarge, Malformed, UnsupportedFormat, UnitNotConvertible, NotFinal,
	INSInvalid, INSTestOID,
	MESRejected, PairingExpired,
	// review
	MissingINS, MissingTrait, IdentityMismatch, IdentityUnqualified, PairingConflict, VersionConflict,
	MeasurementCorrection, ProfileInvalid, MissingMetadata, OutOfRange, UnmappedCode,
	// held
	Internal, MESUnavailable, PairingRevoked, NotPaired, ScopeMissing,
	// delivered, superseded
	Duplicate, NotForAgenda,
}

var precedenceRank = func() map[Reason]int {
	m := make(map[Reason]int, len(precedence))
	for i, r := range precedence {
		m[r] = i
	}
	return m
}()

// MoreSevere reports whether reason a wins over reason b when one document
// or input has both: a's state is more severe (Failed over Review over
// Held, see Reason.State), or the states are equal and a comes first in the
// fixed order documented on precedence. An unknown reason stops a document
// as Failed and comes after the known failed reasons; two unknown reasons
// are ordered by their text. For a ≠ b exactly one of MoreSevere(a, b) and
// MoreSevere(b, a) is true.
func MoreSevere(a, b Reason) bool {
	if sa, sb := severity[a.State()], severity[b.State()]; sa != sb {
		return sa > sb
	}
	ra, aok := precedenceRank[a]
	rb, bok := precedenceRank[b]
	switch {
	case aok && bok:
		return ra < rb
	case aok != bok:
		return aok
	}
	return a < b
}

// Worst returns the error-severity problem that decides the document's
// state (see MoreSevere; the first found among equals), or nil when it has
// none. Warnings never decide a state.
func (d *Document) Worst() *Problem {
	var w *Problem
	for i := range d.Problems {
		p := &d.Problems[i]
		if p.Severity == SeverityError && (w == nil || MoreSevere(p.Code, w.Code)) {
			w = p
		}
	}
	return w
}
