package mllp

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/hl7"
)

// conn is one sender's connection.
type conn struct {
	s    *Server
	nc   net.Conn
	peer string
	mu   sync.Mutex // orders read-deadline changes against shutdown
}

// setDeadline sets the read deadline to idle (or, once shutdown started,
// to the drain deadline).
func (c *conn) setDeadline(idle time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.s.closing.Load() {
		drain := time.Unix(0, c.s.drainAt.Load())
		if idle.IsZero() || drain.Before(idle) {
			idle = drain
		}
	}
	c.nc.SetReadDeadline(idle)
}

// serve reads and acknowledges messages until the peer leaves, the
// connection is idle too long, the stream breaks, or the drain ends.
func (c *conn) serve(ctx context.Context) {
	o := c.s.o
	log := o.Log.With().Str("intake", o.Name).Str("peer", c.peer).Logger()
	r := hl7.NewReader(c.nc, o.MaxMessageBytes)
	for {
		c.setDeadline(o.Now().Add(o.IdleTimeout))
		ack, err := c.next(ctx, log, r)
		if err != nil {
			c.closed(log, err)
			return
		}
		if ack == nil {
			continue
		}
		c.nc.SetWriteDeadline(o.Now().Add(30 * time.Second))
		if err := hl7.WriteFrame(c.nc, ack); err != nil {
			log.Warn().Err(err).Msg("cannot send the acknowledgement; closing the connection")
			return
		}
	}
}

// next reads one frame and returns its acknowledgement (nil for none), or
// the error that ends the connection. The frame's memory and spool file
// are given back before it returns.
func (c *conn) next(ctx context.Context, log zerolog.Logger, r *hl7.Reader) ([]byte, error) {
	f := &frame{s: c.s}
	defer f.release()
	n, err := r.CopyMessage(f)
	switch {
	case err == nil && f.dropped != nil:
		return c.notNow(log, f.head(), f.dropped), nil
	case err == nil && f.file != nil:
		done, err := c.s.largeTurn(ctx)
		if err != nil {
			return c.notNow(log, f.head(), err), nil
		}
		defer done()
		return c.handle(ctx, log, f.head(), f.body()), nil
	case err == nil:
		return c.handle(ctx, log, f.head(), f.body()), nil
	case errors.Is(err, hl7.ErrTooLarge):
		return c.tooLarge(log, f.head()), nil
	case errors.Is(err, hl7.ErrAbandoned):
		// As MLLP receivers do, the broken part gets no acknowledgement: the
		// sender gave it up, and an AE here would be read by the sender as
		// the answer to the message that follows.
		log.Warn().Int64("bytes", n).Str("reason", string(docbridge.Malformed)).
			Msg("unterminated frame dropped without an acknowledgement: a start block began a new frame")
		return nil, nil
	}
	return nil, err
}

// notNow refuses for now (AR) a message the listener could not hold.
func (c *conn) notNow(log zerolog.Logger, head []byte, why error) []byte {
	h, _ := hl7.ParseHeader(head)
	log.Warn().Err(why).Str("ack", "AR").Str("reason", string(docbridge.Internal)).Msg("message refused for now: no room to receive it")
	return c.ack(hl7.AR, h, hl7.ErrorDetail{Code: hl7.CodeInternalError,
		Text: string(docbridge.Internal) + ": docbridge has no room for the message now (too many messages in progress); send it again later"})
}

// closed logs why a connection ended.
func (c *conn) closed(log zerolog.Logger, err error) {
	var fe *hl7.FrameError
	switch {
	case errors.Is(err, io.EOF):
		log.Debug().Msg("connection closed by the sender")
	case errors.Is(err, os.ErrDeadlineExceeded):
		if c.s.closing.Load() {
			log.Debug().Msg("connection closed: shutting down")
		} else {
			log.Info().Msg("connection closed: idle timeout")
		}
	case errors.As(err, &fe):
		log.Warn().Err(err).Msg("connection closed: the stream is not MLLP")
	case errors.Is(err, net.ErrClosed):
	default:
		log.Warn().Err(err).Msg("connection closed")
	}
}

// handle stores one message, whose start is raw and whole is body, and
// returns its acknowledgement (nil for none).
func (c *conn) handle(ctx context.Context, log zerolog.Logger, raw []byte, body io.Reader) []byte {
	o := c.s.o
	h, err := hl7.ParseHeader(raw)
	if err != nil {
		log.Warn().Str("ack", "AE").Msg("message without a readable MSH refused")
		return c.ack(hl7.AE, hl7.Header{}, hl7.ErrorDetail{
			Location: hl7.Location{Segment: "MSH", Sequence: 1}, Code: hl7.CodeSegmentSequence,
			Text: string(docbridge.Malformed) + ": the message does not start with a readable MSH segment",
		})
	}
	log = log.With().Str("msh10_ref", docbridge.Ref(h.ControlID)).Logger()
	if strings.EqualFold(h.MessageType, "ACK") {
		log.Info().Msg("acknowledgement received and ignored")
		return nil
	}
	if c.s.closing.Load() {
		log.Info().Str("ack", "AR").Msg("message refused for now: shutting down")
		return c.ack(hl7.AR, h, hl7.ErrorDetail{Code: hl7.CodeInternalError,
			Text: "docbridge is shutting down and cannot take the message now; send it again later"})
	}
	// A message being stored is finished even when shutdown starts.
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), o.AcceptTimeout)
	defer cancel()
	acc, err := o.Sink.Accept(actx, &docbridge.Envelope{
		Intake: o.Name, Source: c.peer, MessageID: h.ControlID, ReceivedAt: o.Now(), Body: body, Waiting: true, Journal: true,
	})
	switch reason := docbridge.ReasonOf(err); {
	case err != nil && reason == docbridge.TooLarge:
		log.Warn().Str("ack", "AE").Str("reason", string(reason)).Msg("message refused")
		return c.ack(hl7.AE, h, hl7.ErrorDetail{Code: hl7.CodeValueTooLong, Text: string(reason) + ": " + docbridge.MessageOf(err)})
	case err != nil:
		log.Error().Err(err).Str("ack", "AR").Msg("cannot store the message now")
		return c.ack(hl7.AR, h, hl7.ErrorDetail{Code: hl7.CodeInternalError,
			Text: "docbridge cannot store the message now; send it again later"})
	case acc.State == docbridge.Failed:
		loc, _ := hl7.LocationOf(acc.Message)
		log.Warn().Int64("input", acc.ID).Bool("duplicate", acc.Duplicate).Str("ack", "AE").Str("reason", string(acc.Reason)).Msg("message refused")
		return c.ack(hl7.AE, h, hl7.ErrorDetail{Location: loc, Code: errorCode(acc.Reason), Text: string(acc.Reason) + ": " + acc.Message})
	}
	ev := log.Info()
	if acc.Journal != 0 {
		// Recorded as an input a moment later, logged with both ids.
		ev = ev.Int64("journal", acc.Journal)
	} else {
		ev = ev.Int64("input", acc.ID).Bool("duplicate", acc.Duplicate)
	}
	ev.Str("state", string(acc.State)).Str("ack", "AA").Msg("message accepted")
	return c.ack(hl7.AA, h)
}

// tooLarge refuses a message over the size limit, read only in part.
func (c *conn) tooLarge(log zerolog.Logger, head []byte) []byte {
	h, _ := hl7.ParseHeader(head)
	log.Warn().Str("msh10_ref", docbridge.Ref(h.ControlID)).Str("ack", "AE").Str("reason", string(docbridge.TooLarge)).Msg("message over the size limit refused")
	return c.ack(hl7.AE, h, hl7.ErrorDetail{Code: hl7.CodeValueTooLong,
		Text: string(docbridge.TooLarge) + ": the message is over the limit of " + strconv.Itoa(c.s.o.MaxMessageBytes) + " bytes"})
}

func (c *conn) ack(code hl7.AckCode, h hl7.Header, errs ...hl7.ErrorDetail) []byte {
	return hl7.Ack{Code: code, Original: h, ControlID: c.s.nextControlID(), Time: c.s.o.Now(),
		Application: c.s.o.Application, Facility: c.s.o.Facility, Errors: errs}.Bytes()
}

// errorCode maps a refusal reason to HL7 table 0357.
func errorCode(r docbridge.Reason) hl7.ErrorCode {
	switch r {
	case docbridge.UnsupportedFormat:
		return hl7.CodeUnsupportedMessageType
	case docbridge.TooLarge:
		return hl7.CodeValueTooLong
	case docbridge.MissingMetadata, docbridge.MissingINS, docbridge.MissingTrait:
		return hl7.CodeRequiredFieldMissing
	case docbridge.UnmappedCode, docbridge.INSTestOID:
		return hl7.CodeTableValueNotFound
	case docbridge.Malformed, docbridge.ForbiddenConstruct, docbridge.INSInvalid:
		return hl7.CodeDataType
	case docbridge.IdentityMismatch:
		return hl7.CodeUnknownKey
	}
	return hl7.CodeInternalError
}
