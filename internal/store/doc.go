// Package store is the durable state of docbridge: accepted inputs, the
// documents converted from them and their state machine (docs/architecture.md §3), the
// event history of every transition, the pairing registry, the audit
// trail, and the content of inputs and documents.
//
// # Audit trail
//
// Every change appends its hash-chained audit record (internal/audit) in
// the transaction of the change itself: AcceptConverted (the input's
// record, then those of RecordConversion or FailInput when it converted),
// RecordConversion, FailInput, Transition (with an mes.exchange record
// when Transition.Exchange is set), PutPairing and RecordAdmin. The actor is the one the change names, or
// audit.ActorFrom(ctx). The events table stays beside the audit table as
// the operational history that History reads; the audit table can be
// archived (ArchiveAudit leaves a checkpoint), the events table is not.
// Records also enter the outbox of each forwarding target
// (SetAuditTargets) in the same transaction; Pending and MarkSent drain it.
//
// # Layout on disk
//
// Content of at most InlineMax bytes lives in the database (the contents
// table, inline.go); bigger content lives under Options.Dir, and so does
// the database on SQLite:
//
//	docbridge.db            SQLite database (WAL, synchronous=FULL, foreign keys on); absent on PostgreSQL
//	content/ab/abcd…        content files over InlineMax bytes, named by the hex SHA-256 of their bytes
//	tmp/                    content being written; renamed into content/ when fsynced
//
// Directories are created 0700 and files 0600: nothing the store writes is
// readable by other users.
//
// With PostgreSQL (Options.Postgres), several instances share one
// database, and they must share one data directory too: a row committed by
// one instance names content another instance reads. The directory must
// then be one filesystem mounted by every instance (NFSv4 or similar) on
// which rename is atomic, fsync makes data and directory entries durable,
// and a file renamed into place by one instance is visible to the others
// when the rename returns; every instance runs as the same user (0700).
//
// # Durability
//
// Inline content is inserted in the transaction of the row that names it.
// A content file is written to tmp/, fsynced, renamed into content/ and
// the directory fsynced before the row that names it is committed, so a
// committed row always names complete content. (On SQLite the
// committer fsyncs the directories of the writes it commits together, each
// once, just before their transaction.) A crash can leave an
// orphan content file without a row (harmless: the next AcceptConverted of the same
// bytes reuses it) or a stale temp file (removed by Open after a day).
// Every method returns only after its transaction is committed with
// synchronous=FULL.
//
// # Concurrency
//
// A Store is safe for concurrent use, and several Stores — in one process
// or several — may be opened on one database. Transition is a
// compare-and-set on the document's state, Claim leases due documents and
// ClaimInputs received inputs, so that two workers do not take the same
// one; AcceptConverted of the same bytes and sidecar at once stores one input (the
// others get Duplicate), and RecordConversion of one input at once records
// it once. One version of a document (uniqueId, content, action and
// metadata: version.go) is recorded once, however many inputs carry it.
//
// On SQLite, writes go through one database connection and are
// serialised; reads use a separate pool and see the last committed state.
// Writes that arrive together share one transaction and its WAL fsync
// (group commit, groupcommit.go): one committer goroutine runs each
// method's changes in a savepoint of that transaction, in arrival order,
// so that each sees the changes committed before it and a failing one
// undoes only its own; every method still returns only after the commit
// holding its changes, and a failed commit is the error of each. Several
// processes may open the same directory (serve and the operations
// commands): SQLite's locking and busy_timeout serialise them. Every
// SQLite connection keeps the statements it runs prepared
// (stmtcache.go).
//
// On PostgreSQL, reads and writes share one pool. Write transactions run
// at READ COMMITTED; Claim and ClaimInputs select with FOR UPDATE SKIP
// LOCKED and set the lease in the same transaction, so instances claiming
// at once skip each other's rows instead of waiting. Every transaction
// that appends audit records first takes a transaction-scoped advisory
// lock (pg_advisory_xact_lock, keyed by the schema), so the audit chain
// stays one linear chain whatever the number of instances; those
// transactions are serialised across instances, as SQLite serialises all
// writes. Migrations take another advisory lock, so instances starting at
// once migrate once.
//
// # Secrets
//
// Pairing access and refresh tokens are encrypted at rest with AES-256-GCM
// when Options.TokenKey is set (tokencrypt.go; the pairing id and column are
// the additional data). Without a key — allowed only outside production,
// cmd decides — they are stored in clear; opening the store with a key
// encrypts them. The data directory is 0700 either way. On PostgreSQL the
// clear values stay in dead row versions until VACUUM reuses their space:
// after encrypting, run VACUUM FULL pairings.
//
// # Engines
//
// One *Store runs on either engine (engine.go); callers do not know which.
// SQL is kept to what SQLite and PostgreSQL share (INSERT … ON CONFLICT,
// RETURNING, integer times in Unix nanoseconds, booleans as 0 or 1) and
// written with ? placeholders, which the PostgreSQL connections rewrite to
// $1, $2, … in one place (rebind.go). What differs lives in sqlite.go and
// postgres.go (opening, settings, locks, leases), and in the migrations:
// schema.go for SQLite and schema_postgres.go for PostgreSQL, step for step
// with the same version numbers. On PostgreSQL the tables live in the
// first schema of the connection's search_path. A database written by a
// newer docbridge (an unknown schema version) is refused by both.
//
// The same tests run against both (forEachEngine in the tests); the
// PostgreSQL ones need DOCBRIDGE_TEST_POSTGRES, and storetest gives other
// packages' tests a fresh schema.
package store
