// Package store is the durable state of docbridge: accepted inputs, the
// documents converted from them and their state machine (DESIGN.md §5), the
// event history of every transition, the pairing registry, the audit
// trail, and the content of inputs and documents.
//
// # Audit trail
//
// Every change appends its hash-chained audit record (internal/audit) in
// its own transaction: Accept, RecordConversion, FailInput, Transition
// (with an mes.exchange record when Transition.Exchange is set),
// PutPairing and RecordAdmin. The actor is the one the change names, or
// audit.ActorFrom(ctx). The events table stays beside the audit table as
// the operational history that History reads; the audit table can be
// archived (ArchiveAudit leaves a checkpoint), the events table is not.
// Records also enter the outbox of each forwarding target
// (SetAuditTargets) in the same transaction; Pending and MarkSent drain it.
//
// # Layout on disk
//
// Everything lives under Options.Dir:
//
//	docbridge.db            SQLite database (WAL, synchronous=FULL, foreign keys on)
//	content/ab/abcd…        content files, named by the hex SHA-256 of their bytes
//	tmp/                    content being written; renamed into content/ when fsynced
//
// Directories are created 0700 and files 0600: nothing the store writes is
// readable by other users.
//
// # Durability
//
// Content is written to tmp/, fsynced, renamed into content/ and the
// directory fsynced before the row that names it is committed, so a
// committed row always names a complete content file. A crash can leave an
// orphan content file without a row (harmless: the next Accept of the same
// bytes reuses it) or a stale temp file (removed by Open after a day).
// Every method returns only after its transaction is committed with
// synchronous=FULL.
//
// # Concurrency
//
// A Store is safe for concurrent use. Writes go through one database
// connection and are serialised; reads use a separate pool and see the last
// committed state. Several processes may open the same directory (serve and
// the operations commands): SQLite's locking and busy_timeout serialise
// them. Transition is a compare-and-set on the document's state, and Claim
// leases due documents so that two workers do not take the same one.
//
// # Secrets
//
// Pairing access and refresh tokens are encrypted at rest with AES-256-GCM
// when Options.TokenKey is set (tokencrypt.go; the pairing id and column are
// the additional data). Without a key — allowed only outside production,
// cmd decides — they are stored in clear; opening the store with a key
// encrypts them. The data directory is 0700 either way.
//
// # Engines
//
// SQL is kept to what SQLite and PostgreSQL share (INSERT … ON CONFLICT,
// RETURNING, integer times in Unix nanoseconds); the SQLite-specific parts
// (DSN, pragmas, column types in the migrations) live in sqlite.go and
// schema.go.
package store
