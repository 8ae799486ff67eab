package docbridge

import (
	"slices"
	"time"
)

// Pairing links one patient's account at the lab's or clinic's service to
// their MES account (docs/architecture.md §13). Documents for this patient may be sent
// with its token, and only for the identity it holds.
type Pairing struct {
	ID          string  `json:"id"`          // docbridge's id for the pairing
	MESPatient  string  `json:"mesPatient"`  // the patient's id at MES
	Patient     Patient `json:"patient"`     // the paired identity: INS + five traits
	AccessToken string  `json:"accessToken"` // bearer token for the Documents API; secret
	// RefreshToken obtains a new access token before ExpiresAt; secret.
	// Empty for pairings registered without one (pair import).
	RefreshToken string `json:"refreshToken,omitempty"`
	// ExpiresAt is when AccessToken expires; zero means unknown (never
	// refreshed ahead: MES's 401 then says the pairing is gone).
	ExpiresAt time.Time `json:"expiresAt,omitzero"`
	Revoked   bool      `json:"revoked,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
	// Scopes are the MES scopes the patient granted (ScopeDocuments,
	// ScopeMeasurements, ScopeAgenda), as MES's token answer listed them.
	// Empty for a pairing recorded before scopes were: documents only.
	Scopes []string `json:"scopes,omitempty"`
}

// The MES scopes a pairing may grant: what a paired service may write to
// the patient's profile.
const (
	ScopeDocuments    = "documents"
	ScopeMeasurements = "mesures"
	ScopeAgenda       = "agenda"
)

// Covers reports whether the pairing lets docbridge send data of kind k:
// the patient granted the kind's scope (KindScope). A pairing without
// recorded scopes covers documents only.
func (p Pairing) Covers(k Kind) bool {
	want := k.Scope()
	if len(p.Scopes) == 0 {
		return want == ScopeDocuments
	}
	return slices.Contains(p.Scopes, want)
}

// Receipt is what MES said of a delivered document.
type Receipt struct {
	MESID     string // the id MES gave the DocumentReference
	Status    int    // HTTP status
	RequestID string // MES's request id, or the one docbridge sent
	Duplicate bool   // MES already had this document with the same content
}
