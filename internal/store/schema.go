package store

import (
	"context"
	"fmt"
)

// sqliteMigrations are the schema steps, in order: sqliteMigrations[i]
// brings the schema from version i to version i+1. Steps are appended,
// never edited once released. pgMigrations (schema_postgres.go) carries the
// same steps, with the same version numbers, in PostgreSQL's dialect: a
// step is added to both at once.
//
// Conventions: times are INTEGER Unix nanoseconds in UTC (0 for an unset
// time); text columns are NOT NULL, the empty string meaning "none"; JSON is
// TEXT; booleans are INTEGER 0 or 1.
var sqliteMigrations = []string{
	// 1: inputs, documents, events, pairings.
	`
CREATE TABLE inputs (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	intake      TEXT    NOT NULL,
	source      TEXT    NOT NULL,
	message_id  TEXT    NOT NULL,
	sha256      TEXT    NOT NULL UNIQUE,
	size        INTEGER NOT NULL,
	received_at INTEGER NOT NULL,
	state       TEXT    NOT NULL,
	reason      TEXT    NOT NULL,
	message     TEXT    NOT NULL,
	updated_at  INTEGER NOT NULL
);
CREATE INDEX inputs_state ON inputs (state, id);

CREATE TABLE documents (
	id              INTEGER PRIMARY KEY AUTOINCREMENT,
	input_id        INTEGER NOT NULL REFERENCES inputs (id),
	unique_id       TEXT    NOT NULL,
	sha256          TEXT    NOT NULL,
	state           TEXT    NOT NULL,
	reason          TEXT    NOT NULL,
	message         TEXT    NOT NULL,
	attempts        INTEGER NOT NULL,
	next_attempt_at INTEGER NOT NULL,
	pairing_id      TEXT    NOT NULL,
	mes_id          TEXT    NOT NULL,
	meta            TEXT    NOT NULL,
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL,
	UNIQUE (unique_id, sha256)
);
CREATE INDEX documents_due ON documents (state, next_attempt_at, id);
CREATE INDEX documents_input ON documents (input_id, id);

-- conversions remembers what RecordConversion answered for an input, in
-- order, so that a repeated call returns the same references.
CREATE TABLE conversions (
	input_id INTEGER NOT NULL REFERENCES inputs (id),
	position INTEGER NOT NULL,
	doc_id   INTEGER NOT NULL REFERENCES documents (id),
	existing INTEGER NOT NULL,
	PRIMARY KEY (input_id, position)
);

CREATE TABLE events (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	doc_id     INTEGER NOT NULL REFERENCES documents (id),
	at         INTEGER NOT NULL,
	from_state TEXT    NOT NULL,
	to_state   TEXT    NOT NULL,
	reason     TEXT    NOT NULL,
	message    TEXT    NOT NULL,
	actor      TEXT    NOT NULL
);
CREATE INDEX events_doc ON events (doc_id, id);

CREATE TABLE pairings (
	id           TEXT    PRIMARY KEY,
	mes_patient  TEXT    NOT NULL,
	ins          TEXT    NOT NULL,
	patient      TEXT    NOT NULL,
	access_token TEXT    NOT NULL,
	revoked      INTEGER NOT NULL,
	created_at   INTEGER NOT NULL,
	updated_at   INTEGER NOT NULL
);
CREATE INDEX pairings_ins ON pairings (ins, revoked);
`,
	// 2: the hash-chained audit trail (internal/audit), its head, and the
	// forwarding outbox. The events table stays: it is the operational
	// history (History), never archived; audit is the tamper-evident trail.
	`
CREATE TABLE audit (
	seq         INTEGER PRIMARY KEY,  -- assigned from audit_head, 1, 2, 3, … with no gap
	at          INTEGER NOT NULL,
	kind        TEXT    NOT NULL,
	actor       TEXT    NOT NULL,
	doc_id      INTEGER NOT NULL,     -- 0: none; no foreign key, records outlive nothing but are never cascaded
	input_id    INTEGER NOT NULL,
	unique_id   TEXT    NOT NULL,
	pairing_id  TEXT    NOT NULL,
	from_state  TEXT    NOT NULL,
	to_state    TEXT    NOT NULL,
	reason      TEXT    NOT NULL,
	message     TEXT    NOT NULL,
	request_id  TEXT    NOT NULL,
	http_status INTEGER NOT NULL,
	mes_id      TEXT    NOT NULL,
	exchange    INTEGER NOT NULL,     -- 1 when the record has an Exchange
	archived    INTEGER NOT NULL,     -- checkpoint rows: records archived in all
	prev_hash   TEXT    NOT NULL,
	hash        TEXT    NOT NULL
);
CREATE INDEX audit_doc ON audit (doc_id, seq);
CREATE INDEX audit_input ON audit (input_id, seq);

-- audit_head is the last record appended: appends read and move it in
-- their transaction, and verify compares the end of the chain with it.
CREATE TABLE audit_head (
	id   INTEGER PRIMARY KEY CHECK (id = 1),
	seq  INTEGER NOT NULL,
	hash TEXT    NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- audit_targets are the forwarding targets; every record appended enters
-- audit_outbox once per target, in the same transaction, and leaves it when
-- the forwarder has sent it.
CREATE TABLE audit_targets (
	name     TEXT    PRIMARY KEY,
	added_at INTEGER NOT NULL
);
CREATE TABLE audit_outbox (
	target TEXT    NOT NULL REFERENCES audit_targets (name) ON DELETE CASCADE,
	seq    INTEGER NOT NULL REFERENCES audit (seq),
	PRIMARY KEY (target, seq)
);
`,
	// 3: find the versions that replace a document without reading every
	// row (Replacing): a partial index on the metadata's replaces.
	`
CREATE INDEX documents_replaces ON documents (json_extract(meta, '$.replaces'))
	WHERE json_extract(meta, '$.action') = 'replace';
`,
	// 4: OAuth2 pairing: the refresh token and the access token's expiry.
	// Tokens may be encrypted at rest (tokencrypt.go): the columns hold
	// either the clear token or "enc:v1:…".
	`
ALTER TABLE pairings ADD COLUMN refresh_token TEXT NOT NULL DEFAULT '';
ALTER TABLE pairings ADD COLUMN expires_at INTEGER NOT NULL DEFAULT 0;
CREATE INDEX pairings_mes_patient ON pairings (mes_patient);
`,
	// 5: the sidecar that came with an input (NULL: none), and the lease
	// ClaimInputs sets so that two instances do not convert one input.
	`
ALTER TABLE inputs ADD COLUMN sidecar BLOB;
ALTER TABLE inputs ADD COLUMN lease_until INTEGER NOT NULL DEFAULT 0;
`,
	// 6: the authenticated sender within the intake (Envelope.Sender), for
	// choosing the input's source profile when it is converted again.
	`
ALTER TABLE inputs ADD COLUMN sender TEXT NOT NULL DEFAULT '';
`,
	// 7: an input is its bytes and its sidecar: inputs are unique on
	// (sha256, sidecar_sha256), the hex SHA-256 of the sidecar ('' for
	// none). A document version is its uniqueId and its version_key (see
	// versionKey: content, action, replaces and metadata), no longer its
	// uniqueId and content alone. SQLite cannot drop a UNIQUE constraint:
	// both tables are rebuilt, with foreign keys off while the schema
	// migrates (sqliteEngine.open). Rows stored before get placeholder
	// keys, unique per row ('legacy-' || id): a later input or version is
	// compared with them field by field (sameVersion), not by key.
	`
CREATE TABLE inputs_v7 (
	id             INTEGER PRIMARY KEY AUTOINCREMENT,
	intake         TEXT    NOT NULL,
	source         TEXT    NOT NULL,
	message_id     TEXT    NOT NULL,
	sha256         TEXT    NOT NULL,
	size           INTEGER NOT NULL,
	received_at    INTEGER NOT NULL,
	state          TEXT    NOT NULL,
	reason         TEXT    NOT NULL,
	message        TEXT    NOT NULL,
	updated_at     INTEGER NOT NULL,
	sidecar        BLOB,
	lease_until    INTEGER NOT NULL DEFAULT 0,
	sender         TEXT    NOT NULL DEFAULT '',
	sidecar_sha256 TEXT    NOT NULL DEFAULT ''
);
INSERT INTO inputs_v7 (id, intake, source, message_id, sha256, size, received_at, state, reason, message,
	updated_at, sidecar, lease_until, sender, sidecar_sha256)
SELECT id, intake, source, message_id, sha256, size, received_at, state, reason, message,
	updated_at, sidecar, lease_until, sender,
	CASE WHEN sidecar IS NULL OR length(sidecar) = 0 THEN '' ELSE 'legacy-' || id END
FROM inputs;
DROP TABLE inputs;
ALTER TABLE inputs_v7 RENAME TO inputs;
CREATE UNIQUE INDEX inputs_key ON inputs (sha256, sidecar_sha256);
CREATE INDEX inputs_state ON inputs (state, id);

CREATE TABLE documents_v7 (
	id              INTEGER PRIMARY KEY AUTOINCREMENT,
	input_id        INTEGER NOT NULL REFERENCES inputs (id),
	unique_id       TEXT    NOT NULL,
	sha256          TEXT    NOT NULL,
	state           TEXT    NOT NULL,
	reason          TEXT    NOT NULL,
	message         TEXT    NOT NULL,
	attempts        INTEGER NOT NULL,
	next_attempt_at INTEGER NOT NULL,
	pairing_id      TEXT    NOT NULL,
	mes_id          TEXT    NOT NULL,
	meta            TEXT    NOT NULL,
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL,
	version_key     TEXT    NOT NULL DEFAULT ''
);
INSERT INTO documents_v7 (id, input_id, unique_id, sha256, state, reason, message, attempts, next_attempt_at,
	pairing_id, mes_id, meta, created_at, updated_at, version_key)
SELECT id, input_id, unique_id, sha256, state, reason, message, attempts, next_attempt_at,
	pairing_id, mes_id, meta, created_at, updated_at, 'legacy-' || id
FROM documents;
DROP TABLE documents;
ALTER TABLE documents_v7 RENAME TO documents;
CREATE UNIQUE INDEX documents_version ON documents (unique_id, version_key);
CREATE INDEX documents_due ON documents (state, next_attempt_at, id);
CREATE INDEX documents_input ON documents (input_id, id);
CREATE INDEX documents_replaces ON documents (json_extract(meta, '$.replaces'))
	WHERE json_extract(meta, '$.action') = 'replace';
`,
	// 8: find the version MES knows by an id (DocumentsByMESID: a
	// replacement naming the version it replaces by its server id)
	// without reading every row.
	`
CREATE INDEX documents_mes_id ON documents (mes_id) WHERE mes_id <> '';
`,
	// 9: what a row carries to MES (docbridge.Kind: '' a document, or a
	// measurement, an appointment), for listing and counting each kind
	// apart; and the scopes a pairing's patient granted (space-separated,
	// '' for pairings made before scopes were recorded: documents only).
	`
ALTER TABLE documents ADD COLUMN kind TEXT NOT NULL DEFAULT '';
ALTER TABLE pairings ADD COLUMN scopes TEXT NOT NULL DEFAULT '';
`,
	// 10: content of at most InlineMax bytes inside the database
	// (inline.go), by hex SHA-256: no content file, no fsync of its own;
	// content found base64 inside another inline content (the CDA in an
	// HL7 message) is that reference (base64_of, base64_at, base64_len)
	// with an empty body.
	// An audit record that extends the chain (its seq follows the head's)
	// moves audit_head and enters every forwarding target's outbox by
	// itself (appendAudit: two statements per record instead of four);
	// the checkpoint an archive leaves (seq at or before the head) does
	// neither.
	`
CREATE TABLE contents (
	sha256     TEXT    PRIMARY KEY,
	body       BLOB    NOT NULL,
	base64_of  TEXT    NOT NULL DEFAULT '',
	base64_at  INTEGER NOT NULL DEFAULT 0,
	base64_len INTEGER NOT NULL DEFAULT 0
);
CREATE TRIGGER audit_appended AFTER INSERT ON audit
WHEN NEW.seq = (SELECT seq FROM audit_head WHERE id = 1) + 1
BEGIN
	UPDATE audit_head SET seq = NEW.seq, hash = NEW.hash WHERE id = 1;
	INSERT INTO audit_outbox (target, seq) SELECT name, NEW.seq FROM audit_targets;
END;
`,
	// 11: counts that stay cheap as the store grows (counts.go). The
	// number of documents per (state, reason, intake, kind) is kept in
	// document_counts by triggers, in the transaction of every insert,
	// change of state, reason or kind, and delete of a document, so it is
	// exact whichever path writes; the step fills it from the rows already
	// stored. documents_state_reason serves the state- and reason-filtered
	// console list (keyset on id) and the oldest document of each group.
	// The triggers name inputs: a later step that rebuilds inputs or
	// documents (as step 7 did) drops them first and creates them again.
	`
CREATE TABLE document_counts (
	state  TEXT    NOT NULL,
	reason TEXT    NOT NULL,
	intake TEXT    NOT NULL,
	kind   TEXT    NOT NULL,
	n      INTEGER NOT NULL,
	PRIMARY KEY (state, reason, intake, kind)
);
CREATE TRIGGER documents_count_insert AFTER INSERT ON documents BEGIN
	INSERT INTO document_counts (state, reason, intake, kind, n)
	VALUES (NEW.state, NEW.reason, (SELECT intake FROM inputs WHERE id = NEW.input_id), NEW.kind, 1)
	ON CONFLICT (state, reason, intake, kind) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER documents_count_update AFTER UPDATE OF state, reason, kind, input_id ON documents
WHEN OLD.state IS NOT NEW.state OR OLD.reason IS NOT NEW.reason OR OLD.kind IS NOT NEW.kind
	OR OLD.input_id IS NOT NEW.input_id BEGIN
	UPDATE document_counts SET n = n - 1 WHERE state = OLD.state AND reason = OLD.reason
		AND intake = (SELECT intake FROM inputs WHERE id = OLD.input_id) AND kind = OLD.kind;
	INSERT INTO document_counts (state, reason, intake, kind, n)
	VALUES (NEW.state, NEW.reason, (SELECT intake FROM inputs WHERE id = NEW.input_id), NEW.kind, 1)
	ON CONFLICT (state, reason, intake, kind) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER documents_count_delete AFTER DELETE ON documents BEGIN
	UPDATE document_counts SET n = n - 1 WHERE state = OLD.state AND reason = OLD.reason
		AND intake = (SELECT intake FROM inputs WHERE id = OLD.input_id) AND kind = OLD.kind;
END;
INSERT INTO document_counts (state, reason, intake, kind, n)
SELECT d.state, d.reason, i.intake, d.kind, COUNT(*)
FROM documents d JOIN inputs i ON i.id = d.input_id
GROUP BY d.state, d.reason, i.intake, d.kind;
CREATE INDEX documents_state_reason ON documents (state, reason, id);
`,
	// 12: the intake journal (journal.go): inputs acknowledged on one row
	// each, recorded as inputs a moment later. No AUTOINCREMENT (its
	// sqlite_sequence row is one more page in every commit): an entry's
	// id may be given again once the journal is empty.
	`
CREATE TABLE journal (
	id          INTEGER PRIMARY KEY,
	intake      TEXT    NOT NULL,
	source      TEXT    NOT NULL,
	message_id  TEXT    NOT NULL,
	sender      TEXT    NOT NULL,
	received_at INTEGER NOT NULL,
	sidecar     BLOB,
	body        BLOB    NOT NULL
);
`,
}

// schemaVersion is the schema version this code writes and reads.
func schemaVersion() int { return len(sqliteMigrations) }

// migrate brings the database to schemaVersion. Each step runs in its own
// transaction together with the row recording it, so a crash leaves the
// schema at a known version. Each step's transaction first takes
// lockMigrate (PostgreSQL; SQLite's write transactions are IMMEDIATE), then
// creates schema_migrations if needed and reads the version, so several
// processes opening a new store at once apply each step once. A version
// newer than this code knows is refused.
func migrate(ctx context.Context, s *Store) error {
	for {
		done, err := migrateStep(ctx, s)
		if err != nil || done {
			return err
		}
	}
}

// migrateStep applies the next pending step; done is true when none is left.
func migrateStep(ctx context.Context, s *Store) (done bool, err error) {
	steps := s.eng.migrations()
	tx, err := s.w.BeginTx(ctx, s.eng.writeTx())
	if err != nil {
		return false, fmt.Errorf("migrate: begin: %w", err)
	}
	defer tx.Rollback()
	if err := s.eng.lock(ctx, tx, lockMigrate); err != nil {
		return false, fmt.Errorf("migrate: lock: %w", err)
	}
	if _, err := tx.ExecContext(ctx, s.eng.migrationsTable()); err != nil {
		return false, fmt.Errorf("create schema_migrations: %w", err)
	}
	var v int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return false, fmt.Errorf("read schema version: %w", err)
	}
	switch {
	case v > len(steps):
		return false, fmt.Errorf("schema version %d is newer than this docbridge knows (%d): use a newer docbridge", v, len(steps))
	case v == len(steps):
		return true, nil
	}
	if _, err := tx.ExecContext(ctx, steps[v]); err != nil {
		return false, fmt.Errorf("migrate to version %d: %w", v+1, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`, v+1, nanos(s.now())); err != nil {
		return false, fmt.Errorf("record schema version %d: %w", v+1, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("migrate to version %d: commit: %w", v+1, err)
	}
	return false, nil
}
