package pipeline

import (
	"context"
	"io"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/store"
)

// Store is the durable state the stages read and write. *store.Store
// implements it.
type Store interface {
	AcceptConverted(ctx context.Context, e *docbridge.Envelope, convert func(in store.Input) (store.Conversion, error)) (store.Converted, error)
	AcceptJournaled(ctx context.Context, e *docbridge.Envelope, convert func(in store.Input) (store.Conversion, error),
		recordFirst func(context.Context) error) (store.Converted, error)
	JournalBacklog(ctx context.Context) (int, error)
	ApplyJournal(ctx context.Context, limit int, convert func(in store.Input) (store.Conversion, error)) ([]store.Applied, error)
	OpenContent(sha256 string) (io.ReadCloser, error)
	PendingInputs(ctx context.Context, limit int) ([]store.Input, error)
	ClaimInputs(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]store.Input, error)
	Input(ctx context.Context, id int64) (store.Input, error)
	RecordConversion(ctx context.Context, inputID int64, docs []store.NewDocument) ([]store.DocRef, error)
	FailInput(ctx context.Context, inputID int64, reason docbridge.Reason, msg string) error
	Reconvert(ctx context.Context, inputID int64, conv store.Conversion) (store.Reconversion, error)
	Due(ctx context.Context, state docbridge.State, now time.Time, limit int) ([]store.DocRow, error)
	Claim(ctx context.Context, state docbridge.State, now time.Time, lease time.Duration, limit int) ([]store.DocRow, error)
	Transition(ctx context.Context, t store.Transition) error
	Transitions(ctx context.Context, ts []store.Transition) ([]error, error)
	Documents(ctx context.Context, f store.Filter) ([]store.DocRow, error)
	Replacing(ctx context.Context, uniqueID string) ([]store.DocRow, error)
	DocumentsByMESID(ctx context.Context, mesID string) ([]store.DocRow, error)
	PairingsVersion(ctx context.Context) (string, error)
	PutPairing(ctx context.Context, p docbridge.Pairing) error
}

// Converter turns a stored input — read from r, size bytes, with what is
// known of it besides its bytes (origin: its name, sidecar, intake,
// sender, the source profiles) — into normalised documents. It is pure
// but for reading r, and reads big inputs in a stream: its documents may
// say ContentIsInput instead of carrying Content. An error refuses the
// whole input and carries a reason; Internal means r could not be read,
// which is no verdict on the input. *convert.Converter implements it.
type Converter interface {
	Convert(r io.ReaderAt, size int64, origin docbridge.Origin) (docbridge.Format, []*docbridge.Document, error)
}

// Checker returns the identity problems of a document that no pairing can
// fix (INS validity, missing traits, identity status).
type Checker func(d *docbridge.Document) []docbridge.Problem

// Matcher finds the pairing a document may be delivered to, or says why not
// with a *docbridge.Error (NotPaired, IdentityMismatch, …).
type Matcher interface {
	Match(ctx context.Context, d *docbridge.Document) (docbridge.Pairing, error)
}

// Sender delivers one document to MES. It returns a *docbridge.Error whose
// reason says whether to retry (MESUnavailable), wait for the patient
// (PairingRevoked) or stop (MESRejected). Delivering the same document twice
// must be safe: MES's "already there" is a Receipt with Duplicate set. With
// an error, the Receipt carries what MES answered (HTTP status, request id)
// when it answered at all, for the audit record; it is empty otherwise.
type Sender interface {
	Deliver(ctx context.Context, d *docbridge.Document, content io.Reader, p docbridge.Pairing) (docbridge.Receipt, error)
}

// Finder asks MES whether it holds a version (current or superseded) of
// the document uniqueID for the patient of pairing p: it settles a
// delivery whose answer was lost when nothing here will retry it, and
// tells whether a version docbridge never saw is at MES. found is
// false when MES holds none. Errors are *docbridge.Error classified as
// Sender's. *mes.Client implements it.
type Finder interface {
	Find(ctx context.Context, uniqueID string, p docbridge.Pairing) (mesID string, found bool, err error)
}
