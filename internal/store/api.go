package store

// STUB: the signatures below are the contract the pipeline is written
// against. Replace this file by the real implementation (split into files
// named after concepts); keep the exported names and semantics.

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/docbridge/docbridge"
)

// ErrConflict is returned by Transition when the document is no longer in
// the expected state (another worker moved it).
var ErrConflict = errors.New("store: state changed concurrently")

// ErrNotFound is returned when an id names no row.
var ErrNotFound = errors.New("store: not found")

// Options configures a Store.
type Options struct {
	Dir          string // data directory: docbridge.db and content/
	MaxInputSize int64  // Accept refuses bigger inputs with TooLarge; 0 means 512 MiB
}

// Store is the durable state of docbridge on SQLite.
type Store struct{}

// Open opens (creating if needed) the store in o.Dir.
func Open(ctx context.Context, o Options) (*Store, error) { panic("unimplemented") }

// Close closes the database.
func (s *Store) Close() error { panic("unimplemented") }

// Input is one accepted envelope.
type Input struct {
	ID         int64
	Intake     string
	Source     string
	MessageID  string
	SHA256     string
	Size       int64
	ReceivedAt time.Time
	State      docbridge.State // Received, Converted or Failed
	Reason     docbridge.Reason
	Message    string
}

// Accept implements docbridge.Sink.
func (s *Store) Accept(ctx context.Context, e *docbridge.Envelope) (docbridge.Accepted, error) {
	panic("unimplemented")
}

// OpenContent opens the stored bytes with this hex SHA-256.
func (s *Store) OpenContent(sha256 string) (io.ReadCloser, error) { panic("unimplemented") }

// ReadContent returns the stored bytes with this hex SHA-256.
func (s *Store) ReadContent(sha256 string) ([]byte, error) { panic("unimplemented") }

// PendingInputs returns up to limit inputs in state Received, oldest first.
func (s *Store) PendingInputs(ctx context.Context, limit int) ([]Input, error) {
	panic("unimplemented")
}

// Input returns one input.
func (s *Store) Input(ctx context.Context, id int64) (Input, error) { panic("unimplemented") }

// NewDocument is one converted document and the state it enters.
type NewDocument struct {
	Doc     *docbridge.Document
	State   docbridge.State
	Reason  docbridge.Reason
	Message string
}

// DocRef names the row a NewDocument became.
type DocRef struct {
	ID       int64
	Existing bool            // a row with the same uniqueId and SHA-256 was there already
	State    docbridge.State // the row's state after the call
}

// RecordConversion records, in one transaction, the documents converted from
// input inputID and moves the input to Converted.
func (s *Store) RecordConversion(ctx context.Context, inputID int64, docs []NewDocument) ([]DocRef, error) {
	panic("unimplemented")
}

// FailInput moves input inputID to Failed with a reason and message.
func (s *Store) FailInput(ctx context.Context, inputID int64, reason docbridge.Reason, msg string) error {
	panic("unimplemented")
}

// DocRow is one stored document version.
type DocRow struct {
	ID          int64
	InputID     int64
	UniqueID    string
	SHA256      string
	State       docbridge.State
	Reason      docbridge.Reason
	Message     string
	Attempts    int
	NextAttempt time.Time
	PairingID   string
	MESID       string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	Doc         *docbridge.Document // metadata; Doc.Content is nil
}

// Document returns one document row.
func (s *Store) Document(ctx context.Context, id int64) (DocRow, error) { panic("unimplemented") }

// Due returns up to limit documents in state whose next attempt is at or
// before now, oldest first.
func (s *Store) Due(ctx context.Context, state docbridge.State, now time.Time, limit int) ([]DocRow, error) {
	panic("unimplemented")
}

// Transition moves one document between states.
type Transition struct {
	ID          int64
	From, To    docbridge.State
	Reason      docbridge.Reason
	Message     string
	Actor       string    // the component or user that made the change
	NextAttempt time.Time // when the document is next due; zero means now
	Attempted   bool      // count one more delivery attempt
	PairingID   string    // set when not empty
	MESID       string    // set when not empty
}

// Transition applies t in one transaction, with its event row.
func (s *Store) Transition(ctx context.Context, t Transition) error { panic("unimplemented") }

// Filter selects documents for listings.
type Filter struct {
	State   docbridge.State // empty: any
	Reason  docbridge.Reason
	InputID int64 // 0: any
	Limit   int   // 0: no limit
}

// Documents lists documents matching f, oldest first.
func (s *Store) Documents(ctx context.Context, f Filter) ([]DocRow, error) { panic("unimplemented") }

// Counts returns the number of documents per state.
func (s *Store) Counts(ctx context.Context) (map[docbridge.State]int, error) { panic("unimplemented") }

// Event is one recorded state transition.
type Event struct {
	DocID   int64
	At      time.Time
	From    docbridge.State
	To      docbridge.State
	Reason  docbridge.Reason
	Message string
	Actor   string
}

// History returns a document's transitions, oldest first.
func (s *Store) History(ctx context.Context, docID int64) ([]Event, error) { panic("unimplemented") }

// PutPairing inserts or replaces a pairing by ID.
func (s *Store) PutPairing(ctx context.Context, p docbridge.Pairing) error { panic("unimplemented") }

// Pairings lists all pairings.
func (s *Store) Pairings(ctx context.Context) ([]docbridge.Pairing, error) { panic("unimplemented") }

// PairingByINS returns the live pairing whose patient has this INS.
func (s *Store) PairingByINS(ctx context.Context, ins string) (docbridge.Pairing, bool, error) {
	panic("unimplemented")
}
