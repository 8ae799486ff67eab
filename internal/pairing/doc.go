// Package pairing runs docbridge's side of the MES pairing flow (docs/architecture.md
// §13, issue 3): the start and callback endpoints of an OAuth2 authorization
// code flow with PKCE (S256) and state, which store a checked pairing
// (the state of a flow in progress is sealed, not stored: state.go), and
// the Refresher that renews tokens before they expire and marks a pairing
// revoked when MES says it is gone.
//
// The callback handles patient identities: nothing here logs more than
// pairing ids, reason codes and HTTP statuses.
package pairing
