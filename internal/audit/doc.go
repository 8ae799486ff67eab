// Package audit is docbridge's tamper-evident audit trail (docs/architecture.md §1,
// §11): the Record type, its canonical encoding and hash chain,
// verification, archives with checkpoints, the FHIR AuditEvent and JSON
// lines exports, and forwarding to a remote audit server through an
// outbox.
//
// The store appends one Record per change, in the transaction of the change
// itself: every input accepted, converted or refused, every document
// created and every state transition, every MES exchange (request id, HTTP
// status, MES id), every pairing event and every admin action. This
// package does not import the store: it reads records through iterators
// (iter.Seq2[Record, error]) and the small Outbox interface.
//
// # What a record holds
//
// The time, the kind, the actor (a daemon component such as "intake:drop",
// "convert", "match", "deliver", or a person as "user:NAME"), the store's
// document and input ids, the document's uniqueId, the pairing id, the
// states before and after, the reason code and a message, the MES exchange,
// and the hashes. No patient data: no name, birth date, INS or content. An
// auditor who needs the patient goes from the document id to the store, with
// the access that requires.
//
// # Canonical encoding and the chain
//
// A record's Hash is the lowercase hex SHA-256 of Canonical(record): the
// netstrings ("<decimal byte length>:<bytes>,") of, in this order, the
// version "docbridge-audit/1", the time in Unix nanoseconds, kind, actor,
// document id, input id, uniqueId, pairing id, from state, to state,
// reason, message, exchange request id, exchange HTTP status, exchange MES
// id, and PrevHash. Integers are base 10 ("0" when absent), strings are
// their bytes. PrevHash is the previous record's Hash, and ZeroHash (64
// zeros) for the first record, so each record commits to the whole chain
// before it. Seq (1, 2, 3, … with no gap) is not hashed: the links give the
// order, and Verify checks the numbering separately.
//
// Verify walks the chain and names the first broken record: Modified (its
// fields no longer match its hash), Deleted, Inserted, Reordered or
// Renumbered, using the links of up to 4096 records behind and ahead to
// tell them apart, and the store's head (the last record written) to catch
// records removed from or added at the end.
//
// A chain without a secret key protects against edits that leave the rest
// untouched; someone able to rewrite the database can recompute every hash
// after the record they change. Anchor the chain outside the machine:
// forward the records (syslog or FHIR), keep archives elsewhere, or note the
// head hash that `docbridge audit verify` prints.
//
// # Archives and checkpoints
//
// An archive file (ArchiveHeader on its first line, then one Record JSON
// per line) holds the oldest records; the store replaces them by a
// Checkpoint record that carries the last archived record's Seq and Hash
// and the number archived in all, so verification of the table starts from
// the checkpoint, and VerifyArchive checks a file on its own (and, in
// order, that archives and table join up).
//
// # Exports
//
// WriteJSONL writes one Record JSON per line for a SIEM. WriteFHIR writes
// one FHIR R4 AuditEvent per line (NDJSON, the FHIR bulk-data format),
// mapped in the spirit of IHE BALP: see AuditEvent.
//
// # Forwarding
//
// A Forwarder drains one target's outbox in chain order through a Sender
// (Syslog: RFC 5424 over TLS with RFC 5425 framing; FHIRPost: POST
// [base]/AuditEvent) and marks each record sent only after the remote took
// it, so a remote that is down delays records and never loses them.
package audit
