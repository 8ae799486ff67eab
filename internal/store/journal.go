package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"

	"github.com/docbridge/docbridge"
)

// The intake journal (SQLite). An HL7 v2 sender waits for its ACK before
// it sends its next message, and recording an input — its row and
// content, its documents with their indexes and version checks, their
// events and hash-chained audit records — writes some 44 pages of WAL
// and runs hundreds of statements in the store's one writer. What the
// acknowledgement promises (the message is durable and its content is not
// refused) needs less: the conversion, and the message in one row. So
// AcceptJournaled answers a new input whose outcome the conversion
// already settles with one journal row, committed in the group commit
// like any write, and ApplyJournal later records the journal's entries
// as AcceptConverted would have, many to a transaction, deleting each
// entry in the transaction that records it. A crash between the two
// leaves the entry, which the next ApplyJournal records; an entry whose
// bytes were recorded meanwhile (a resend) is a duplicate as usual.
//
// PostgreSQL stores keep no journal: their instances commit in parallel
// and each input is recorded at once (AcceptJournaled is AcceptConverted).

// journalEntry is an input acknowledged from the journal, not yet recorded.
type journalEntry struct {
	ID       int64
	Envelope docbridge.Envelope // Body reads the entry's bytes
}

// Applied is what ApplyJournal did with one entry.
type Applied struct {
	Entry  int64
	Intake string // the entry's Envelope.Intake
	// Converted is the input the entry became (as AcceptConverted returns
	// it) when Err is nil.
	Converted
	// Err says why the entry could not be recorded: it stays in the
	// journal for the next ApplyJournal.
	Err error
}

// Journals reports whether the store keeps an intake journal (SQLite).
func (s *Store) Journals() bool {
	_, ok := s.eng.(*sqliteEngine)
	return ok
}

// AcceptJournaled is AcceptConverted for an intake whose answer needs no
// input id (MLLP: docbridge.Envelope.Journal). On a store that journals,
// a new input of at most InlineMax bytes whose conversion refuses
// nothing — no Refusal, no document in state Failed — and whose
// documents' unique ids the store does not hold (a version, a correction
// or a resend of one: their outcome depends on what is stored) is
// committed as one journal entry instead: the returned Converted has
// Journal set to the entry's id, ID 0, State Converted and no Docs. The
// conversion is made again when the entry is recorded (ApplyJournal).
// Any other input is accepted as AcceptConverted does, after the entries
// acknowledged before it: recordFirst is called first, and must record
// the journal's entries (ApplyJournal until the entries it found are
// recorded), so that inputs are recorded in the order they were
// acknowledged — a replacement over InlineMax after its original still in
// the journal, a refusal after an earlier version. An error of
// recordFirst is an Internal error: nothing was recorded. Here convert is
// called before the input is looked up, so it is called for a resend of
// stored bytes too (and its conversion not recorded).
func (s *Store) AcceptJournaled(ctx context.Context, e *docbridge.Envelope, convert func(in Input) (Conversion, error),
	recordFirst func(context.Context) error) (Converted, error) {
	if !s.Journals() {
		return s.AcceptConverted(ctx, e, convert)
	}
	a, err := s.prepare(ctx, e, s.maxInput)
	if err != nil {
		return Converted{}, err
	}
	defer a.release()
	atOnce := func() (Converted, error) {
		if err := recordFirst(ctx); err != nil {
			return Converted{}, docbridge.Wrap(docbridge.Internal, "record the journal first", err)
		}
		return s.acceptPrepared(ctx, a)
	}
	if a.body.inline == nil {
		// Too big for the journal: a content file, AcceptConverted's way.
		s.convertIfNew(ctx, a, convert)
		return atOnce()
	}
	in := a.in
	conv, err := convert(in)
	if err != nil {
		// Not read through: the input waits in received (or is a
		// duplicate).
		a.deferred = err
		return atOnce()
	}
	if settled(conv) {
		if c, ok, err := s.journal(ctx, a, conv); err != nil || ok {
			return c, err
		}
		// Its bytes, or one of its documents, are stored: recorded at once.
	}
	if a.known, err = s.knownInput(ctx, in); err != nil {
		a.deferred = fmt.Errorf("look the input up: %w", err)
	} else if !a.known {
		a.plan, a.deferred = s.planConversion(ctx, in, a.body.inline, conv)
	}
	return atOnce()
}

// settled reports whether conv refuses nothing, so that the input's
// answer does not wait for its recording.
func settled(conv Conversion) bool {
	if conv.Refusal != nil || len(conv.Docs) == 0 {
		return false
	}
	for _, d := range conv.Docs {
		if d.State == docbridge.Failed {
			return false
		}
	}
	return true
}

// journal commits a's input, whose conversion conv is settled, as one
// journal entry (SQLite: Journals) unless an input with its bytes and
// sidecar, or a document with the unique id of one of conv's documents,
// is stored (ok false: nothing was written). The look-up and the entry
// are one statement, in the writer: nothing recorded between them.
func (s *Store) journal(ctx context.Context, a *accepting, conv Conversion) (c Converted, ok bool, err error) {
	in := a.in
	var sidecar any // NULL when there is none
	if len(in.Sidecar) > 0 {
		sidecar = in.Sidecar
	}
	args := []any{in.Intake, in.Source, in.MessageID, in.Sender, nanos(in.ReceivedAt), sidecar, a.body.inline,
		in.SHA256, sidecarKey(in.Sidecar)}
	for _, d := range conv.Docs {
		args = append(args, d.Doc.UniqueID)
	}
	q := `INSERT INTO journal (intake, source, message_id, sender, received_at, sidecar, body)
	SELECT ?, ?, ?, ?, ?, ?, ?
	WHERE NOT EXISTS (SELECT 1 FROM inputs WHERE sha256 = ? AND sidecar_sha256 = ?)
	AND NOT EXISTS (SELECT 1 FROM documents WHERE unique_id IN (?` + strings.Repeat(`, ?`, len(conv.Docs)-1) + `))
	RETURNING id`
	var id int64
	// One statement: no savepoint of its own in the group commit.
	err = s.eng.(*sqliteEngine).group.doStatement(ctx, func(ctx context.Context, tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, q, args...).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return nil // stored: not journaled
		}
		ok = err == nil
		return err
	})
	if err != nil {
		return Converted{}, false, docbridge.Wrap(docbridge.Internal, "journal input", err)
	}
	if !ok {
		return Converted{}, false, nil
	}
	return Converted{Accepted: docbridge.Accepted{Journal: id, SHA256: in.SHA256, Size: in.Size, State: docbridge.Converted}}, true, nil
}

// JournalBacklog returns how many journal entries wait to be recorded:
// 0 without a query on a store that keeps no journal (PostgreSQL), where
// the convert stage and every metrics scrape would ask in vain.
func (s *Store) JournalBacklog(ctx context.Context) (int, error) {
	if !s.Journals() {
		return 0, nil
	}
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM journal`).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count journal entries: %w", err)
	}
	return n, nil
}

// ApplyJournal records up to limit of the oldest journal entries (fewer
// when they are big: applyMaxBytes), in the order they were journaled,
// as AcceptConverted records an input (convert converts each again), all
// in one transaction; each entry is deleted with its recording. An entry
// that cannot be recorded is left in the journal, with its Applied.Err;
// err is set when none could be (the transaction failed). It returns
// nothing when the journal is empty. Calls are serialized: two never take
// the same entries.
func (s *Store) ApplyJournal(ctx context.Context, limit int, convert func(in Input) (Conversion, error)) ([]Applied, error) {
	s.applying.Lock()
	defer s.applying.Unlock()
	entries, err := s.journalEntries(ctx, limit)
	if err != nil || len(entries) == 0 {
		return nil, err
	}
	out := make([]Applied, len(entries))
	as := make([]*accepting, len(entries))
	s.prepareAll(ctx, entries, convert, out, as)
	var dirs []string
	for _, a := range as {
		if a != nil {
			defer a.release()
			dirs = append(dirs, a.dirs()...)
		}
	}
	// Each entry in a savepoint of its own makes SQLite copy every page it
	// changes again into a statement journal: the batch is first recorded
	// without, and only when an entry fails, again with them.
	if err := s.recordEntries(ctx, dirs, entries, as, out, false); err != nil {
		if err := s.recordEntries(ctx, dirs, entries, as, out, true); err != nil {
			return nil, fmt.Errorf("store: record journal entries: %w", err)
		}
	}
	return out, nil
}

// recordEntries records as (prepareAll) in one transaction, each with the
// deletion of its entry (recordEntry), and sets out's Converted and Err.
// With saved, an entry that cannot be recorded is left with its Err;
// without, it fails the transaction.
func (s *Store) recordEntries(ctx context.Context, dirs []string, entries []journalEntry, as []*accepting, out []Applied, saved bool) error {
	return s.inAuditTxAfter(ctx, dirs, func(ctx context.Context, tx auditTx) error {
		for i, a := range as {
			if a == nil {
				continue
			}
			c, failed, err := s.recordEntry(ctx, tx, entries[i].ID, a, saved)
			if err != nil {
				return err
			}
			out[i].Converted, out[i].Err = c, failed
		}
		return nil
	})
}

// prepareAll prepares and converts entries (as AcceptConverted does),
// each on its own, on as many goroutines as there are CPUs: as[i] is
// entries[i] ready to record, or nil with out[i].Err saying why not.
func (s *Store) prepareAll(ctx context.Context, entries []journalEntry, convert func(in Input) (Conversion, error), out []Applied, as []*accepting) {
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(entries)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				out[i].Entry, out[i].Intake = entries[i].ID, entries[i].Envelope.Intake
				// Within the limit in force when it was acknowledged: a
				// lower one since must not leave it unrecordable.
				a, err := s.prepare(ctx, &entries[i].Envelope, max(s.maxInput, InlineMax))
				if err != nil {
					out[i].Err = err
					continue
				}
				s.convertIfNew(ctx, a, convert)
				as[i] = a
			}
		}()
	}
	for i := range entries {
		next <- i
	}
	close(next)
	wg.Wait()
}

// recordEntry deletes the journal entry id and records a in tx. With
// saved, in a savepoint: when recording fails, failed says why and the
// entry stays, and err is set only when the savepoint itself fails (tx is
// then lost). Without, a failure is err.
func (s *Store) recordEntry(ctx context.Context, tx auditTx, id int64, a *accepting, saved bool) (c Converted, failed, err error) {
	rec := func() error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM journal WHERE id = ?`, id); err != nil {
			return err
		}
		var err error
		c, err = s.record(ctx, tx, a, saved)
		return err
	}
	if !saved {
		return c, nil, rec()
	}
	if failed, err = savepoint(ctx, tx.Tx, "entry", rec); failed != nil {
		c = Converted{}
	}
	return c, failed, err
}

// applyMaxBytes bounds the bytes of the entries one ApplyJournal takes
// (held in memory with their conversions until the commit): 128 entries
// of a few KiB each, fewer of the biggest (InlineMax).
const applyMaxBytes = 2 << 20

// journalEntries reads up to limit of the oldest journal entries, fewer
// once they hold applyMaxBytes.
func (s *Store) journalEntries(ctx context.Context, limit int) ([]journalEntry, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, intake, source, message_id, sender, received_at, sidecar, body
	FROM journal ORDER BY id LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("store: read the journal: %w", err)
	}
	defer rows.Close()
	var out []journalEntry
	size := 0
	for rows.Next() {
		var j journalEntry
		var received int64
		var body []byte
		e := &j.Envelope
		if err := rows.Scan(&j.ID, &e.Intake, &e.Source, &e.MessageID, &e.Sender, &received, &e.Sidecar, &body); err != nil {
			return nil, fmt.Errorf("store: read the journal: %w", err)
		}
		e.ReceivedAt = fromNanos(received)
		e.Body = bytes.NewReader(body)
		out = append(out, j)
		if size += len(body); size >= applyMaxBytes {
			break
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: read the journal: %w", err)
	}
	return out, nil
}
