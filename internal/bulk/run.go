package bulk

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/store"
)

// Intake is the intake name of the inputs a bulk run accepts (the audit
// trail's actor is "intake:bulk").
const Intake = "bulk"

// Store is what Run reads of the store to wait for the documents and
// report their final states. *store.Store implements it.
type Store interface {
	Input(ctx context.Context, id int64) (store.Input, error)
	Documents(ctx context.Context, f store.Filter) ([]store.DocRow, error)
	CountsByGroup(ctx context.Context) ([]store.Count, error)
	PendingInputs(ctx context.Context, limit int) ([]store.Input, error)
}

// RunOptions configures Run.
type RunOptions struct {
	Options
	// Sink makes each file durable and converts it (the pipeline); its
	// stages, run by the caller alongside Run, deliver.
	Sink  docbridge.Sink
	Store Store
	// Detect names a file's format for the report; nil leaves it empty.
	Detect func(raw []byte) docbridge.Format
	// Wait bounds the wait for the documents to settle; 0 waits until ctx
	// is done.
	Wait time.Duration
	// Poll is how often the store is read while waiting; 0 means 1 s.
	Poll time.Duration
}

// Run hands every file of the archive to o.Sink, waits until every
// document accepted through the bulk intake has settled (delivered, held
// for a pairing, in review, failed) or o.Wait passes, then reads the final
// state of each file's documents from the store. A PDF goes with its
// sidecar (its sidecar file, or the one its index row gives) as
// Envelope.Sidecar, and every file with its base name at the end of
// Envelope.Source, so that the pipeline converts it with the origin the
// dry run gives it (the caller's pipeline adds the run's profile); a PDF
// whose sidecar cannot be taken, or whose sidecar file and index row name
// the patient differently, ends as in the dry run and never reaches the
// Sink. Each file is first evaluated by the dry run's rules (with
// o.Check and o.Match, when given), and each document that ends otherwise
// says why (see agree.go).
//
// It is safe to repeat: the Sink stores identical bytes once, so a run
// after an interruption (Ctrl-C, a crash, a reboot) takes the files already
// accepted as duplicates, the stages continue where they stopped, and
// nothing is sent twice. Run returns ctx's error when ctx is done before
// the report is built, and an error when the store refuses an input for
// another reason than its size (nothing more can be accepted).
func Run(ctx context.Context, o RunOptions) (*Result, error) {
	if o.Sink == nil || o.Store == nil {
		return nil, fmt.Errorf("bulk run: Sink and Store are required")
	}
	e, err := newEngine(ctx, o.Options, "run")
	if err != nil {
		return nil, err
	}
	res, err := e.run(ctx, o)
	if err != nil {
		e.s.Close()
		return nil, err
	}
	return res, nil
}

func (e *engine) run(ctx context.Context, o RunOptions) (*Result, error) {
	if err := e.loadIndex(ctx); err != nil {
		return nil, err
	}
	err := e.each(ctx, func(ctx context.Context, en entry) error {
		t, it, err := e.take(ctx, en)
		if err != nil || it != nil {
			if it != nil {
				err = e.s.addFile(ctx, *it, 0, t.row.ins)
			}
			return err
		}
		if err := e.predict(ctx, en.rel, t); err != nil {
			return err
		}
		it = &Item{Path: en.rel}
		if o.Detect != nil {
			it.Format = o.Detect(t.raw)
		}
		acc, err := o.Sink.Accept(ctx, &docbridge.Envelope{
			Intake: Intake, Source: source(en.rel), ReceivedAt: time.Now().UTC(), Body: bytes.NewReader(t.raw), Sidecar: t.org.Sidecar,
		})
		if docbridge.ReasonOf(err) == docbridge.TooLarge {
			it.Outcome, it.Reason, it.Message = Failed, docbridge.TooLarge, docbridge.MessageOf(err)
		} else if err != nil {
			return fmt.Errorf("accept a file of the archive: %w", err)
		}
		it.Message = joinNote(it.Message, t.note)
		if acc.Duplicate {
			same, err := sameInput(ctx, o.Store, acc.ID, t.org.Sidecar)
			if err != nil {
				return err
			}
			it.Message = joinNote(it.Message, same)
		}
		return e.s.addFile(ctx, *it, acc.ID, t.row.ins)
	})
	if err != nil {
		return nil, err
	}
	complete, err := e.waitSettled(ctx, o)
	if err != nil {
		return nil, err
	}
	e.sum.Complete = complete
	if err := e.finalPass(ctx, o.Store); err != nil {
		return nil, err
	}
	return e.finish(ctx)
}

// storedWithOtherSidecar is the note of a file the store took as an input
// it held with another sidecar.
const storedWithOtherSidecar = "the store already held this file's bytes with another sidecar (or none): it took the file as that input, " +
	"which keeps its earlier outcome, where the dry run converted it with its sidecar or index row of today"

// sameInput explains, for a file the store took as an input it already
// held, why its outcome may differ from the dry run's: the stored input
// came with another sidecar (or none) than the one this run gives, so it
// keeps its earlier conversion. It returns "" when the sidecars agree.
func sameInput(ctx context.Context, st Store, id int64, sidecar []byte) (string, error) {
	in, err := st.Input(ctx, id)
	if err != nil {
		return "", fmt.Errorf("read input %d: %w", id, err)
	}
	if bytes.Equal(in.Sidecar, sidecar) {
		return "", nil
	}
	return storedWithOtherSidecar, nil
}

// source is the envelope's Source of the file at rel: "bulk:", a hash of
// its path (folders are often named after patients) and its base name,
// which the converter reads as the origin's name (path.Base of the
// source), as the dry run gives it.
func source(rel string) string {
	sum := sha256.Sum256([]byte(rel))
	return "bulk:" + hex.EncodeToString(sum[:8]) + "/" + path.Base(rel)
}

// settled reports whether no stage moves a document of this state and
// reason on its own any more.
func settled(s docbridge.State, r docbridge.Reason) bool {
	switch {
	case s.Final(), s == docbridge.Review:
		return true
	case s == docbridge.Held:
		return r == docbridge.NotPaired || r == docbridge.PairingRevoked
	}
	return false
}

// waitSettled polls the store until no input waits for conversion and every
// document of the bulk intake has settled; it reports false when o.Wait
// passed first.
func (e *engine) waitSettled(ctx context.Context, o RunOptions) (bool, error) {
	poll := o.Poll
	if poll <= 0 {
		poll = time.Second
	}
	var deadline time.Time
	if o.Wait > 0 {
		deadline = time.Now().Add(o.Wait)
	}
	e.prog.start(ctx, "documents settled", 0)
	defer e.prog.stop()
	for {
		pending, err := o.Store.PendingInputs(ctx, 1)
		if err != nil {
			return false, fmt.Errorf("wait for the documents: %w", err)
		}
		counts, err := o.Store.CountsByGroup(ctx)
		if err != nil {
			return false, fmt.Errorf("wait for the documents: %w", err)
		}
		var done, total int64
		for _, c := range counts {
			if c.Intake != Intake {
				continue
			}
			total += int64(c.N)
			if settled(c.State, c.Reason) {
				done += int64(c.N)
			}
		}
		e.prog.set(done, total)
		if len(pending) == 0 && done == total {
			return true, nil
		}
		if !deadline.IsZero() && time.Now().After(deadline) {
			return false, nil
		}
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-time.After(poll):
		}
	}
}

// finalPass reads the final state of every file's documents from the store
// and records them, a page of files at a time.
func (e *engine) finalPass(ctx context.Context, st Store) error {
	if err := e.s.resetResults(ctx); err != nil {
		return err
	}
	type fileRow struct {
		id, input int64
		idxINS    string
		it        Item
	}
	for last := int64(0); ; {
		// The scratch has one connection: commit the writes of the last
		// page before reading the next.
		if err := e.s.flush(); err != nil {
			return err
		}
		rows, err := e.s.db.QueryContext(ctx, `SELECT id, path, input_id, idx_ins, format, outcome, reason, message
	FROM files WHERE id > ? ORDER BY id LIMIT 500`, last)
		if err != nil {
			return fmt.Errorf("scratch: list files: %w", err)
		}
		var page []fileRow
		for rows.Next() {
			var f fileRow
			if err := rows.Scan(&f.id, &f.it.Path, &f.input, &f.idxINS, &f.it.Format, &f.it.Outcome, &f.it.Reason, &f.it.Message); err != nil {
				rows.Close()
				return fmt.Errorf("scratch: list files: %w", err)
			}
			page = append(page, f)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("scratch: list files: %w", err)
		}
		if len(page) == 0 {
			return nil
		}
		preds, err := e.s.predictions(ctx, last, page[len(page)-1].id)
		if err != nil {
			return err
		}
		for _, f := range page {
			last = f.id
			items, err := finalItems(ctx, st, f.it, f.input)
			if err != nil {
				return err
			}
			for _, it := range items {
				e.checkAgreement(&it, preds)
				if err := e.record(ctx, it, f.idxINS); err != nil {
					return err
				}
			}
		}
	}
}

// joinNote appends a note to a message.
func joinNote(msg, note string) string {
	switch {
	case note == "":
		return msg
	case msg == "":
		return note
	}
	return msg + " (" + note + ")"
}

// finalItems are the items of one file: its own outcome when it never
// reached the store, else its input's refusal or its documents' states.
func finalItems(ctx context.Context, st Store, it Item, inputID int64) ([]Item, error) {
	if it.Outcome != "" || inputID == 0 {
		return []Item{it}, nil
	}
	in, err := st.Input(ctx, inputID)
	if err != nil {
		return nil, fmt.Errorf("read input %d: %w", inputID, err)
	}
	note := it.Message // why the outcome may differ from the dry run's (see sameInput)
	switch in.State {
	case docbridge.Failed:
		it.Outcome, it.Reason, it.Message = Failed, in.Reason, joinNote(in.Message, note)
		return []Item{it}, nil
	case docbridge.Received:
		it.Outcome = Pending
		return []Item{it}, nil
	}
	rows, err := st.Documents(ctx, store.Filter{InputID: inputID})
	if err != nil {
		return nil, fmt.Errorf("read documents of input %d: %w", inputID, err)
	}
	out := make([]Item, 0, len(rows))
	for _, r := range rows {
		d := it
		d.Doc, d.Outcome, d.Reason = r.Doc, outcomeOfState(r.State), r.Reason
		d.Message = note
		if r.State != docbridge.Delivered {
			d.Message = joinNote(r.Message, note)
		}
		out = append(out, d)
	}
	if len(out) == 0 {
		it.Outcome = Pending
		out = append(out, it)
	}
	return out, nil
}
