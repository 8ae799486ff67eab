package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/audit"
)

// Input is one accepted envelope: its raw bytes are the content with hex
// SHA-256 SHA256.
type Input struct {
	ID         int64
	Intake     string
	Source     string
	MessageID  string
	SHA256     string
	Size       int64
	ReceivedAt time.Time       // UTC
	State      docbridge.State // Received, Converted or Failed
	Reason     docbridge.Reason
	Message    string
	Sidecar    []byte // the envelope's sidecar; nil when it had none
	Sender     string // the envelope's authenticated sender, or ""
}

// inputBody is where storeInput put an input's bytes: inline (the bytes,
// for insertInput to insert with the row) or in a content file whose
// directory dirs must be fsynced before the row is committed.
type inputBody struct {
	inline []byte // nil when the bytes are in a content file
	dirs   []string
}

// sidecarKey is the part of an input's identity its sidecar gives: the
// hex SHA-256 of the sidecar, or "" for none (nil or empty).
func sidecarKey(sidecar []byte) string {
	if len(sidecar) == 0 {
		return ""
	}
	sum := sha256.Sum256(sidecar)
	return hex.EncodeToString(sum[:])
}

// storeInput checks e and stores its body, as AcceptConverted says, with
// maxInput as the size limit, and returns the input it is to become
// (without an id, in state Received) and where its bytes are. Its errors
// are AcceptConverted's.
func (s *Store) storeInput(ctx context.Context, e *docbridge.Envelope, maxInput int64) (Input, inputBody, error) {
	if e == nil || e.Body == nil {
		return Input{}, inputBody{}, docbridge.Errorf(docbridge.Internal, "accept: envelope without a body")
	}
	if len(e.Sidecar) > docbridge.MaxSidecar {
		return Input{}, inputBody{}, docbridge.Errorf(docbridge.TooLarge,
			"the sidecar (metadata file) is %d bytes, over the limit of %d bytes: shorten it or send the input without it",
			len(e.Sidecar), docbridge.MaxSidecar)
	}
	tooLarge := docbridge.Errorf(docbridge.TooLarge, "input is over the size limit of %d bytes", maxInput)
	in := Input{Intake: e.Intake, Source: e.Source, MessageID: e.MessageID,
		ReceivedAt: e.ReceivedAt, State: docbridge.Received, Sender: e.Sender}
	if in.ReceivedAt.IsZero() {
		in.ReceivedAt = s.now()
	}
	if len(e.Sidecar) > 0 {
		in.Sidecar = e.Sidecar
	}
	lim := min(InlineMax, maxInput)
	var head bytes.Buffer
	if l, ok := e.Body.(interface{ Len() int }); ok {
		// A body in memory (an MLLP frame): one allocation (ReadFrom
		// wants MinRead bytes free before each read, the last one too).
		head.Grow(int(min(int64(l.Len()), lim)) + bytes.MinRead)
	}
	n, err := head.ReadFrom(io.LimitReader(ctxReader{ctx, e.Body}, lim+1))
	switch {
	case err != nil:
		return Input{}, inputBody{}, docbridge.Wrap(docbridge.Internal, "read input", err)
	case n <= lim:
		b := head.Bytes()
		if b == nil {
			b = []byte{} // inline even when empty
		}
		sum := sha256.Sum256(b)
		in.SHA256, in.Size = hex.EncodeToString(sum[:]), n
		return in, inputBody{inline: b}, nil
	case n > maxInput:
		return Input{}, inputBody{}, tooLarge
	}
	tmp, sha, size, err := s.writeTemp(ctx, io.MultiReader(&head, e.Body), maxInput)
	if errors.Is(err, errTooBig) {
		return Input{}, inputBody{}, tooLarge
	}
	if err != nil {
		return Input{}, inputBody{}, docbridge.Wrap(docbridge.Internal, "store input content", err)
	}
	dir, err := s.placeContent(tmp, sha)
	if err != nil {
		return Input{}, inputBody{}, docbridge.Wrap(docbridge.Internal, "store input content", err)
	}
	in.SHA256, in.Size = sha, size
	return in, inputBody{dirs: []string{dir}}, nil
}

// insertInput inserts in (from storeInput), and its bytes inline when not
// nil (inputBody.inline), in tx with its input.accepted
// audit record (actor "intake:"+in.Intake; the size, hash and the ref
// (docbridge.Ref) of the sender's message id, never the message id itself
// nor the source name: senders put patient data in both), and sets in.ID. When the same bytes and sidecar are stored
// already it inserts nothing, returns dup, and sets in.ID, in.State,
// in.Reason and in.Message to the stored input's.
func (s *Store) insertInput(ctx context.Context, tx auditTx, in *Input, inline []byte) (dup bool, err error) {
	var sidecar any // NULL when there is none
	if len(in.Sidecar) > 0 {
		sidecar = in.Sidecar
	}
	err = tx.QueryRowContext(ctx, `INSERT INTO inputs
	(intake, source, message_id, sha256, size, received_at, state, reason, message, updated_at, sidecar, sender, sidecar_sha256)
	VALUES (?, ?, ?, ?, ?, ?, ?, '', '', ?, ?, ?, ?)
	ON CONFLICT (sha256, sidecar_sha256) DO NOTHING
	RETURNING id`,
		in.Intake, in.Source, in.MessageID, in.SHA256, in.Size, nanos(in.ReceivedAt), docbridge.Received, nanos(s.now()),
		sidecar, in.Sender, sidecarKey(in.Sidecar)).Scan(&in.ID)
	if errors.Is(err, sql.ErrNoRows) {
		err = tx.QueryRowContext(ctx, `SELECT id, state, reason, message FROM inputs WHERE sha256 = ? AND sidecar_sha256 = ?`,
			in.SHA256, sidecarKey(in.Sidecar)).Scan(&in.ID, &in.State, &in.Reason, &in.Message)
		return true, err
	}
	if err != nil {
		return false, err
	}
	if inline != nil {
		if err := insertContent(ctx, tx.Tx, in.SHA256, inline); err != nil {
			return false, err
		}
	}
	msg := fmt.Sprintf("%d bytes, sha256 %s", in.Size, in.SHA256)
	if in.MessageID != "" {
		msg += ", message id ref " + docbridge.Ref(in.MessageID)
	}
	return false, appendAudit(ctx, tx, &audit.Record{Kind: audit.InputAccepted, Actor: "intake:" + in.Intake,
		InputID: in.ID, To: docbridge.Received, Message: msg}, nanos(s.now()))
}

const inputCols = `id, intake, source, message_id, sha256, size, received_at, state, reason, message, sidecar, sender`

// scanInput reads one row of inputCols.
func scanInput(sc interface{ Scan(...any) error }) (Input, error) {
	var in Input
	var received int64
	err := sc.Scan(&in.ID, &in.Intake, &in.Source, &in.MessageID, &in.SHA256, &in.Size,
		&received, &in.State, &in.Reason, &in.Message, &in.Sidecar, &in.Sender)
	in.ReceivedAt = fromNanos(received)
	if len(in.Sidecar) == 0 {
		in.Sidecar = nil
	}
	return in, err
}

// queryInputs runs a query selecting inputCols and reads every row.
func queryInputs(ctx context.Context, q querier, query string, args ...any) ([]Input, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Input
	for rows.Next() {
		in, err := scanInput(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, in)
	}
	return out, rows.Err()
}

// pendingQuery selects the inputs in state Received, oldest first.
const pendingQuery = `SELECT ` + inputCols + ` FROM inputs WHERE state = ?`

// PendingInputs returns up to limit inputs in state Received, in the order
// they were accepted (oldest first); limit <= 0 means all of them. It only
// reads: two callers get the same inputs. Converters that must not take
// the same input use ClaimInputs.
func (s *Store) PendingInputs(ctx context.Context, limit int) ([]Input, error) {
	q, args := pendingQuery+` ORDER BY id`, []any{docbridge.Received}
	if limit > 0 {
		q += ` LIMIT ?`
		args = append(args, limit)
	}
	out, err := queryInputs(ctx, s.r, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list pending inputs: %w", err)
	}
	return out, nil
}

// ClaimInputs is PendingInputs with a lease: in one transaction it selects
// up to limit inputs in state Received whose lease has ended at now (limit
// <= 0: all), oldest first, and leases them until now+lease, so that no
// other ClaimInputs (in this or another process) returns them before the
// lease ends. The converter then calls RecordConversion or FailInput,
// which take the input out of Received; if it dies instead, the inputs are
// claimable again when the lease ends. ClaimInputs records nothing in the
// audit trail and changes no state. On PostgreSQL, inputs another
// transaction is claiming at that moment are skipped, not waited for.
func (s *Store) ClaimInputs(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Input, error) {
	if lease <= 0 {
		return nil, fmt.Errorf("store: claim inputs: lease %v is not positive", lease)
	}
	q, args := pendingQuery+` AND lease_until <= ? ORDER BY id`, []any{docbridge.Received, nanos(now)}
	if limit > 0 {
		q += ` LIMIT ?`
		args = append(args, limit)
	}
	var out []Input
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		if out, err = queryInputs(ctx, tx, q+s.eng.skipLocked(), args...); err != nil || len(out) == 0 {
			return err
		}
		ids := make([]int64, len(out))
		for i, in := range out {
			ids[i] = in.ID
		}
		return s.eng.lease(ctx, tx, "inputs", "lease_until", nanos(now.Add(lease)), ids)
	})
	if err != nil {
		return nil, fmt.Errorf("store: claim inputs: %w", err)
	}
	return out, nil
}

// Input returns input id, or an error wrapping ErrNotFound.
func (s *Store) Input(ctx context.Context, id int64) (Input, error) {
	in, err := scanInput(s.r.QueryRowContext(ctx, `SELECT `+inputCols+` FROM inputs WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Input{}, fmt.Errorf("store: input %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Input{}, fmt.Errorf("store: read input %d: %w", id, err)
	}
	return in, nil
}

// InputBySHA256 returns the first input whose raw bytes have this hex
// SHA-256 (the same bytes with another sidecar are another, later input),
// or an error wrapping ErrNotFound. It answers "was this file taken?".
func (s *Store) InputBySHA256(ctx context.Context, sha256 string) (Input, error) {
	in, err := scanInput(s.r.QueryRowContext(ctx, `SELECT `+inputCols+` FROM inputs WHERE sha256 = ? ORDER BY id LIMIT 1`, strings.ToLower(sha256)))
	if errors.Is(err, sql.ErrNoRows) {
		return Input{}, fmt.Errorf("store: input with sha256 %s: %w", sha256, ErrNotFound)
	}
	if err != nil {
		return Input{}, fmt.Errorf("store: read input with sha256 %s: %w", sha256, err)
	}
	return in, nil
}

// FailInput moves input inputID from Received to Failed with a reason
// (required) and a message that carries no patient data, and appends an
// input.failed audit record (actor audit.ActorFrom(ctx, "convert")). It is idempotent:
// an input already Failed is left as it is (first reason kept) and nil is
// returned. It returns an error wrapping ErrNotFound for an unknown id and
// ErrConflict when the input was already Converted.
func (s *Store) FailInput(ctx context.Context, inputID int64, reason docbridge.Reason, msg string) error {
	if reason == "" {
		return fmt.Errorf("store: fail input %d: no reason", inputID)
	}
	err := s.inAuditTx(ctx, func(ctx context.Context, tx auditTx) error {
		failed, err := s.failReceived(ctx, tx, inputID, reason, msg)
		if err != nil || failed {
			return err
		}
		st, err := inputState(ctx, tx.Tx, inputID)
		if err != nil {
			return err
		}
		if st == docbridge.Failed {
			return nil
		}
		return fmt.Errorf("input is %s: %w", st, ErrConflict)
	})
	if err != nil {
		return fmt.Errorf("store: fail input %d: %w", inputID, err)
	}
	return nil
}

// failReceived moves input inputID from Received to Failed in tx, with its
// input.failed audit record, as FailInput says; failed is false (and
// nothing changed) when the input is not in Received.
func (s *Store) failReceived(ctx context.Context, tx auditTx, inputID int64, reason docbridge.Reason, msg string) (failed bool, err error) {
	res, err := tx.ExecContext(ctx, `UPDATE inputs SET state = ?, reason = ?, message = ?, updated_at = ?
	WHERE id = ? AND state = ?`,
		docbridge.Failed, reason, msg, nanos(s.now()), inputID, docbridge.Received)
	if err != nil {
		return false, err
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return false, err
	}
	return true, appendAudit(ctx, tx, &audit.Record{Kind: audit.InputFailed, Actor: audit.ActorFrom(ctx, "convert"),
		InputID: inputID, From: docbridge.Received, To: docbridge.Failed, Reason: reason, Message: msg}, nanos(s.now()))
}

// inputState reads an input's state inside tx; ErrNotFound when absent.
func inputState(ctx context.Context, tx *sql.Tx, id int64) (docbridge.State, error) {
	var st docbridge.State
	err := tx.QueryRowContext(ctx, `SELECT state FROM inputs WHERE id = ?`, id).Scan(&st)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	return st, err
}
