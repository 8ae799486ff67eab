// Package docbridge holds the domain types shared by every part of docbridge:
// the normalised Document, the Envelope an intake hands over, the patient's
// identity traits, the reason vocabulary and the Sink contract.
//
// It imports only the standard library. Code that needs a database, the
// network or a file format lives in a subpackage (see docs/architecture.md §2).
package docbridge
