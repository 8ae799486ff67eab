// Package mllp is docbridge's HL7 v2 intake: a TCP listener (optionally TLS
// with client certificates) speaking MLLP, which hands each message to a
// docbridge.Sink and answers with an original-mode HL7 acknowledgement.
//
// The acknowledgement contract, for senders:
//
//   - AA: the message is durably stored (Sink.Accept returned nil, after
//     fsync and commit) and its content was not refused. docbridge has taken
//     responsibility for it: do not send it again. A resend of the same
//     bytes is acknowledged AA again and stored once.
//   - AE: the message is refused for its content, and sending it again
//     unchanged will fail again. The ERR segment says where (ERR-2, when
//     the converter named a place), what (ERR-3, HL7 table 0357) and why
//     (ERR-8: the docbridge reason code and sentence, never patient data).
//     A message too large, or without a readable MSH, is refused this way
//     without being stored.
//   - AR: docbridge cannot take the message now (its store is unavailable,
//     it is shutting down, or its spool budget is spent); send it again
//     later.
//
// An unterminated frame interrupted by a start block is dropped
// without an answer, as MLLP receivers do; the next message is answered.
//
// What senders can make a listener hold is bounded (Options): its
// connections (beyond MaxConnections, closed at once), the memory of
// messages being received (each at most SpoolAbove, all at most
// MemoryBudget; beyond, spooled to disk) and their spool (SpoolBudget).
//
// MSA-2 echoes the message's MSH-10. Every connection has its own goroutine,
// owned and waited for by Server.Run; messages on one connection are handled
// in order, one at a time, as MLLP senders expect. An incoming ACK is never
// acknowledged. Logs carry the intake name, the peer address, msh10_ref (a
// hash of MSH-10, docbridge.Ref: senders put patient data there) and the
// store's input id — never MSH-10 itself or message content.
package mllp
