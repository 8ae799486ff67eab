package docbridge

import "time"

// Pairing links one patient's account at the lab's or clinic's service to
// their MES account (DESIGN.md §3). Documents for this patient may be sent
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
}

// Receipt is what MES said of a delivered document.
type Receipt struct {
	MESID     string // the id MES gave the DocumentReference
	Status    int    // HTTP status
	RequestID string // MES's request id, or the one docbridge sent
	Duplicate bool   // MES already had this document with the same content
}
