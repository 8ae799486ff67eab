package audit

import (
	"context"
	"time"

	"github.com/docbridge/docbridge"
)

// Kind says what a Record records.
type Kind string

// The record kinds. Kinds are added, never renamed: exports and SIEM rules
// match on them.
const (
	// InputAccepted: an intake's input was made durable (To "received").
	InputAccepted Kind = "input.accepted"
	// InputConverted: an input's documents were recorded (To "converted").
	InputConverted Kind = "input.converted"
	// InputFailed: an input was refused as a whole (To "failed", Reason set).
	InputFailed Kind = "input.failed"
	// DocumentCreated: a converted document got its row (From "", To its first state).
	DocumentCreated Kind = "document.created"
	// DocumentTransition: a document moved from state From to state To.
	DocumentTransition Kind = "document.transition"
	// MESExchange: one delivery attempt to MES, with its Exchange.
	MESExchange Kind = "mes.exchange"
	// PairingCreated, PairingUpdated and PairingRevoked: the pairing
	// registry changed (PairingID set; never the patient's identity).
	PairingCreated Kind = "pairing.created"
	PairingUpdated Kind = "pairing.updated"
	PairingRevoked Kind = "pairing.revoked"
	// Admin: an action a person took (Actor "user:…"), described by Message.
	Admin Kind = "admin"
	// Archived: records were archived to a file and replaced by a checkpoint.
	Archived Kind = "audit.archived"
	// Checkpoint is not a chained record: it stands in the table for the
	// archived records before it. Its Seq and Hash are those of the last
	// archived record, Archived how many records were archived in all; its
	// PrevHash is empty. Verification starts from it.
	Checkpoint Kind = "audit.checkpoint"
)

// Exchange is what one request to MES came to.
type Exchange struct {
	RequestID string `json:"requestId,omitempty"` // MES's request id, or the one docbridge sent
	Status    int    `json:"status,omitempty"`    // HTTP status; 0 when MES gave no HTTP answer
	MESID     string `json:"mesId,omitempty"`     // the id MES gave the DocumentReference
}

// Record is one audit record. Seq numbers records from 1 with no gap; Hash
// is Seal's hash over Canonical(r), which covers every field but Seq,
// Archived and Hash (see the package documentation). A Record carries no
// patient data: document and pairing ids, state and reason codes, and
// messages that docbridge writes without patient data.
type Record struct {
	Seq       int64            `json:"seq"`
	At        time.Time        `json:"at"` // UTC, nanoseconds kept
	Kind      Kind             `json:"kind"`
	Actor     string           `json:"actor"`              // a component ("convert", "deliver", "intake:drop") or "user:NAME"
	DocID     int64            `json:"doc,omitempty"`      // the store's document id; 0 when none
	InputID   int64            `json:"input,omitempty"`    // the store's input id; 0 when none
	UniqueID  string           `json:"uniqueId,omitempty"` // the document's uniqueId (an OID or UUID, no patient data)
	PairingID string           `json:"pairing,omitempty"`  // docbridge's pairing id
	From      docbridge.State  `json:"from,omitempty"`     // state before (transitions)
	To        docbridge.State  `json:"to,omitempty"`       // state after
	Reason    docbridge.Reason `json:"reason,omitempty"`   // reason code (docs/architecture.md §3)
	Message   string           `json:"message,omitempty"`  // a sentence without patient data
	Exchange  *Exchange        `json:"exchange,omitempty"` // MESExchange records
	Archived  int64            `json:"archived,omitempty"` // Checkpoint records: records archived in all
	PrevHash  string           `json:"prev,omitempty"`     // hex SHA-256 of the previous record; ZeroHash for the first
	Hash      string           `json:"hash"`               // hex SHA-256 of Canonical(this record)
}

// Human reports whether the actor is a person ("user:NAME").
func (r *Record) Human() bool { return len(r.Actor) > 5 && r.Actor[:5] == "user:" }

// actorKey is the context key of WithActor.
type actorKey struct{}

// WithActor returns a context that names who acts: the store records it
// as the actor of the changes made with this context that carry no actor
// of their own (pairings, admin actions). Use "user:NAME" for a person
// and a component name for the daemon.
func WithActor(ctx context.Context, actor string) context.Context {
	return context.WithValue(ctx, actorKey{}, actor)
}

// ActorFrom returns the actor WithActor put in ctx, or def.
func ActorFrom(ctx context.Context, def string) string {
	if a, ok := ctx.Value(actorKey{}).(string); ok && a != "" {
		return a
	}
	return def
}
