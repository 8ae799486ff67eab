package store

// pgMigrations are sqliteMigrations in PostgreSQL's dialect, step for step
// with the same version numbers: BIGINT GENERATED ALWAYS AS IDENTITY for
// INTEGER PRIMARY KEY AUTOINCREMENT, BIGINT for INTEGER (times are Unix
// nanoseconds), BYTEA for BLOB, and jsonb expressions for json_extract.
// Booleans stay integers 0 or 1, as on SQLite, so that the queries are
// the same. A step is added to both lists at once.
var pgMigrations = []string{
	// 1: inputs, documents, events, pairings.
	`
CREATE TABLE inputs (
	id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	intake      TEXT   NOT NULL,
	source      TEXT   NOT NULL,
	message_id  TEXT   NOT NULL,
	sha256      TEXT   NOT NULL UNIQUE,
	size        BIGINT NOT NULL,
	received_at BIGINT NOT NULL,
	state       TEXT   NOT NULL,
	reason      TEXT   NOT NULL,
	message     TEXT   NOT NULL,
	updated_at  BIGINT NOT NULL
);
CREATE INDEX inputs_state ON inputs (state, id);

CREATE TABLE documents (
	id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	input_id        BIGINT NOT NULL REFERENCES inputs (id),
	unique_id       TEXT   NOT NULL,
	sha256          TEXT   NOT NULL,
	state           TEXT   NOT NULL,
	reason          TEXT   NOT NULL,
	message         TEXT   NOT NULL,
	attempts        BIGINT NOT NULL,
	next_attempt_at BIGINT NOT NULL,
	pairing_id      TEXT   NOT NULL,
	mes_id          TEXT   NOT NULL,
	meta            TEXT   NOT NULL,
	created_at      BIGINT NOT NULL,
	updated_at      BIGINT NOT NULL,
	UNIQUE (unique_id, sha256)
);
CREATE INDEX documents_due ON documents (state, next_attempt_at, id);
CREATE INDEX documents_input ON documents (input_id, id);

CREATE TABLE conversions (
	input_id BIGINT NOT NULL REFERENCES inputs (id),
	position BIGINT NOT NULL,
	doc_id   BIGINT NOT NULL REFERENCES documents (id),
	existing BIGINT NOT NULL,
	PRIMARY KEY (input_id, position)
);

CREATE TABLE events (
	id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	doc_id     BIGINT NOT NULL REFERENCES documents (id),
	at         BIGINT NOT NULL,
	from_state TEXT   NOT NULL,
	to_state   TEXT   NOT NULL,
	reason     TEXT   NOT NULL,
	message    TEXT   NOT NULL,
	actor      TEXT   NOT NULL
);
CREATE INDEX events_doc ON events (doc_id, id);

CREATE TABLE pairings (
	id           TEXT   PRIMARY KEY,
	mes_patient  TEXT   NOT NULL,
	ins          TEXT   NOT NULL,
	patient      TEXT   NOT NULL,
	access_token TEXT   NOT NULL,
	revoked      BIGINT NOT NULL,
	created_at   BIGINT NOT NULL,
	updated_at   BIGINT NOT NULL
);
CREATE INDEX pairings_ins ON pairings (ins, revoked);
`,
	// 2: the hash-chained audit trail, its head, and the forwarding outbox.
	`
CREATE TABLE audit (
	seq         BIGINT PRIMARY KEY,
	at          BIGINT NOT NULL,
	kind        TEXT   NOT NULL,
	actor       TEXT   NOT NULL,
	doc_id      BIGINT NOT NULL,
	input_id    BIGINT NOT NULL,
	unique_id   TEXT   NOT NULL,
	pairing_id  TEXT   NOT NULL,
	from_state  TEXT   NOT NULL,
	to_state    TEXT   NOT NULL,
	reason      TEXT   NOT NULL,
	message     TEXT   NOT NULL,
	request_id  TEXT   NOT NULL,
	http_status BIGINT NOT NULL,
	mes_id      TEXT   NOT NULL,
	exchange    BIGINT NOT NULL,
	archived    BIGINT NOT NULL,
	prev_hash   TEXT   NOT NULL,
	hash        TEXT   NOT NULL
);
CREATE INDEX audit_doc ON audit (doc_id, seq);
CREATE INDEX audit_input ON audit (input_id, seq);

CREATE TABLE audit_head (
	id   BIGINT PRIMARY KEY CHECK (id = 1),
	seq  BIGINT NOT NULL,
	hash TEXT   NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE audit_targets (
	name     TEXT   PRIMARY KEY,
	added_at BIGINT NOT NULL
);
CREATE TABLE audit_outbox (
	target TEXT   NOT NULL REFERENCES audit_targets (name) ON DELETE CASCADE,
	seq    BIGINT NOT NULL REFERENCES audit (seq),
	PRIMARY KEY (target, seq)
);
`,
	// 3: the versions that replace a document (Replacing), by a partial
	// index on the same expressions as pgEngine.replacingWhere.
	`
CREATE INDEX documents_replaces ON documents (((meta::jsonb) ->> 'replaces'))
	WHERE ((meta::jsonb) ->> 'action') = 'replace';
`,
	// 4: OAuth2 pairing: the refresh token and the access token's expiry.
	`
ALTER TABLE pairings ADD COLUMN refresh_token TEXT NOT NULL DEFAULT '';
ALTER TABLE pairings ADD COLUMN expires_at BIGINT NOT NULL DEFAULT 0;
CREATE INDEX pairings_mes_patient ON pairings (mes_patient);
`,
	// 5: the input's sidecar (NULL: none) and the ClaimInputs lease.
	`
ALTER TABLE inputs ADD COLUMN sidecar BYTEA;
ALTER TABLE inputs ADD COLUMN lease_until BIGINT NOT NULL DEFAULT 0;
`,
	// 6: the authenticated sender within the intake (Envelope.Sender).
	`
ALTER TABLE inputs ADD COLUMN sender TEXT NOT NULL DEFAULT '';
`,
	// 7: inputs unique on (sha256, sidecar_sha256), documents on
	// (unique_id, version_key); rows stored before get the same
	// placeholder keys as on SQLite.
	`
ALTER TABLE inputs DROP CONSTRAINT inputs_sha256_key;
ALTER TABLE inputs ADD COLUMN sidecar_sha256 TEXT NOT NULL DEFAULT '';
UPDATE inputs SET sidecar_sha256 = 'legacy-' || id WHERE sidecar IS NOT NULL AND length(sidecar) > 0;
CREATE UNIQUE INDEX inputs_key ON inputs (sha256, sidecar_sha256);
ALTER TABLE documents DROP CONSTRAINT documents_unique_id_sha256_key;
ALTER TABLE documents ADD COLUMN version_key TEXT NOT NULL DEFAULT '';
UPDATE documents SET version_key = 'legacy-' || id;
CREATE UNIQUE INDEX documents_version ON documents (unique_id, version_key);
`,
	// 8: the index DocumentsByMESID reads.
	`
CREATE INDEX documents_mes_id ON documents (mes_id) WHERE mes_id <> '';
`,
	// 9: documents.kind and pairings.scopes, as on SQLite.
	`
ALTER TABLE documents ADD COLUMN kind TEXT NOT NULL DEFAULT '';
ALTER TABLE pairings ADD COLUMN scopes TEXT NOT NULL DEFAULT '';
`,
	// 10: inline content and the audit_appended trigger, as on SQLite.
	`
CREATE TABLE contents (
	sha256     TEXT   PRIMARY KEY,
	body       BYTEA  NOT NULL,
	base64_of  TEXT   NOT NULL DEFAULT '',
	base64_at  BIGINT NOT NULL DEFAULT 0,
	base64_len BIGINT NOT NULL DEFAULT 0
);
CREATE FUNCTION audit_appended() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.seq = (SELECT seq FROM audit_head WHERE id = 1) + 1 THEN
		UPDATE audit_head SET seq = NEW.seq, hash = NEW.hash WHERE id = 1;
		INSERT INTO audit_outbox (target, seq) SELECT name, NEW.seq FROM audit_targets;
	END IF;
	RETURN NULL;
END
$$;
CREATE TRIGGER audit_appended AFTER INSERT ON audit FOR EACH ROW EXECUTE PROCEDURE audit_appended();
`,
	// 11: document_counts, kept by a trigger function, filled from the rows
	// already stored, and documents_state_reason, as on SQLite. Every
	// transaction that writes documents holds lockChain (they append audit
	// records), so the counts rows it updates are never taken in two
	// orders by two transactions. Each count change is a new version of
	// its row, which PostgreSQL cannot prune before the transaction ends:
	// a single transaction writing many thousands of documents gets slower
	// with each (the store's transactions write one input's documents).
	// EXECUTE PROCEDURE, not FUNCTION, for PostgreSQL 10.
	`
CREATE TABLE document_counts (
	state  TEXT   NOT NULL,
	reason TEXT   NOT NULL,
	intake TEXT   NOT NULL,
	kind   TEXT   NOT NULL,
	n      BIGINT NOT NULL,
	PRIMARY KEY (state, reason, intake, kind)
);
CREATE FUNCTION documents_count_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP IN ('UPDATE', 'DELETE') THEN
		UPDATE document_counts SET n = n - 1 WHERE state = OLD.state AND reason = OLD.reason
			AND intake = (SELECT intake FROM inputs WHERE id = OLD.input_id) AND kind = OLD.kind;
	END IF;
	IF TG_OP IN ('INSERT', 'UPDATE') THEN
		INSERT INTO document_counts (state, reason, intake, kind, n)
		VALUES (NEW.state, NEW.reason, (SELECT intake FROM inputs WHERE id = NEW.input_id), NEW.kind, 1)
		ON CONFLICT (state, reason, intake, kind) DO UPDATE SET n = document_counts.n + 1;
	END IF;
	RETURN NULL;
END
$$;
CREATE TRIGGER documents_count_insert_delete AFTER INSERT OR DELETE ON documents
	FOR EACH ROW EXECUTE PROCEDURE documents_count_keep();
CREATE TRIGGER documents_count_update AFTER UPDATE OF state, reason, kind, input_id ON documents
	FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.reason IS DISTINCT FROM NEW.reason
		OR OLD.kind IS DISTINCT FROM NEW.kind OR OLD.input_id IS DISTINCT FROM NEW.input_id)
	EXECUTE PROCEDURE documents_count_keep();
INSERT INTO document_counts (state, reason, intake, kind, n)
SELECT d.state, d.reason, i.intake, d.kind, COUNT(*)
FROM documents d JOIN inputs i ON i.id = d.input_id
GROUP BY d.state, d.reason, i.intake, d.kind;
CREATE INDEX documents_state_reason ON documents (state, reason, id);
`,
	// 12: the intake journal, as on SQLite (only SQLite stores write it).
	`
CREATE TABLE journal (
	id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	intake      TEXT   NOT NULL,
	source      TEXT   NOT NULL,
	message_id  TEXT   NOT NULL,
	sender      TEXT   NOT NULL,
	received_at BIGINT NOT NULL,
	sidecar     BYTEA,
	body        BYTEA  NOT NULL
);
`,
}
