package docbridge

import (
	"context"
	"fmt"
	"io"
	"time"
)

// Envelope is raw input as an intake received it, before anything is
// understood of it.
type Envelope struct {
	Intake     string    // the intake's configured name ("drop", "mllp", …)
	Source     string    // where it came from: a file name, a peer address; never patient data
	MessageID  string    // the sender's own id (MSH-10), when there is one
	ReceivedAt time.Time // when the intake took it
	Body       io.Reader // the raw bytes; Accept reads it to EOF

	// Sidecar is the metadata file that came with Body, when the intake
	// found one: a PDF's <name>.json or <name>.yaml carrying the docs/architecture.md
	// §11 fields. Nil for most inputs. It is stored with the input, at most
	// MaxSidecar bytes, and given to the converter with the input's Origin.
	Sidecar []byte

	// Sender is the authenticated sender within the intake, when the
	// intake knows one: the name of a FHIR bearer token or the subject of
	// a client certificate. It selects a source profile; never patient
	// data.
	Sender string

	// Waiting is set by an intake whose sender waits for the answer before
	// it sends anything else (an HL7 v2 ACK, a FHIR response), unlike a
	// file in a drop folder: such inputs are accepted before documents
	// already stored are matched and delivered, which wait for them at
	// most a fraction of a second (docs/architecture.md §1).
	Waiting bool

	// Journal is set by an intake whose answer needs no input id (an HL7 v2
	// ACK): the input may then be acknowledged from the intake journal,
	// one row, and recorded as an input a moment later (Accepted.Journal;
	// docs/architecture.md §1).
	Journal bool
}

// MaxSidecar is the size limit of Envelope.Sidecar.
const MaxSidecar = 1 << 20

// Origin is what is known of a stored input besides its bytes, for the
// converters that need it: the file name (a PDF's name may carry its
// metadata through a pattern in mappings/) and the sidecar.
type Origin struct {
	Name    string // Envelope.Source
	Sidecar []byte // Envelope.Sidecar, or nil

	// Intake and Sender are the envelope's, for choosing a source profile.
	Intake string
	Sender string
	// Profiles are the configured source profiles; a converter selects the
	// one for this input with Profiles.Select (an HL7 v2 converter adds
	// MSH-3.1 and MSH-4.1 to the key) and fills what its documents leave
	// empty, recording it in Document.Provenance.
	Profiles Profiles
}

// Accepted is what the Sink says of an envelope it made durable.
type Accepted struct {
	ID        int64  // the store's input id; 0 when Journal is set
	Journal   int64  // the intake journal entry the input was acknowledged from (Envelope.Journal), or 0
	SHA256    string // hex SHA-256 of the raw bytes
	Size      int64
	Duplicate bool // the same bytes with the same sidecar were accepted before; nothing new was stored

	// The outcome known when Accept returned. State is Received when the
	// input is stored but not yet understood, Converted when its documents
	// are recorded, and Failed when the input itself, or any of its
	// documents, is refused (the most severe outcome wins: MoreSevere);
	// Reason and Message then say why, for a reason file or an HL7 AE. A Duplicate
	// carries the stored outcome, so that a resend gets the first answer.
	State   State
	Reason  Reason
	Message string
}

// Sink takes raw input from an intake and makes it durable.
//
// Accept reads e.Body to EOF and returns nil only after the bytes are fsynced
// and the input's row is committed: only then may an intake acknowledge (send
// AA, answer 202, move the file). It blocks on disk and database I/O and
// honours ctx. An error means nothing was accepted and the sender must keep
// or resend the input; ReasonOf(err) is TooLarge when the input exceeds the
// configured limit and Internal when the store cannot take it now.
type Sink interface {
	Accept(ctx context.Context, e *Envelope) (Accepted, error)
}

func sprintf(format string, args ...any) string {
	if len(args) == 0 {
		return format
	}
	return fmt.Sprintf(format, args...)
}
