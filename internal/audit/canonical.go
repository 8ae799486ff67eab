package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
)

// ZeroHash is the PrevHash of the first record of a chain: 64 zeros.
const ZeroHash = "0000000000000000000000000000000000000000000000000000000000000000"

// canonicalVersion names the encoding; it is the first field, so that a
// later encoding can never produce the same bytes.
const canonicalVersion = "docbridge-audit/1"

// Canonical returns the bytes Hash is computed over: a sequence of
// netstrings (decimal byte length, ':', the bytes, ','), in this order:
//
//	"docbridge-audit/1", at (Unix nanoseconds, decimal), kind, actor,
//	doc id (decimal), input id (decimal), uniqueId, pairing id, from, to,
//	reason, message, exchange request id, exchange HTTP status (decimal),
//	exchange MES id, previous hash (lowercase hex)
//
// Integers are base-10 with a '-' for negatives and no leading zeros; a
// nil Exchange encodes as "", "0", "". Strings are their bytes as stored.
// Seq is not covered: the order of the chain is given by the links
// (PrevHash), and Verify checks that Seq counts up by one separately.
func Canonical(r *Record) []byte {
	var ex Exchange
	if r.Exchange != nil {
		ex = *r.Exchange
	}
	b := make([]byte, 0, 256+len(r.Message))
	for _, f := range [...]string{
		canonicalVersion,
		strconv.FormatInt(r.At.UnixNano(), 10),
		string(r.Kind),
		r.Actor,
		strconv.FormatInt(r.DocID, 10),
		strconv.FormatInt(r.InputID, 10),
		r.UniqueID,
		r.PairingID,
		string(r.From),
		string(r.To),
		string(r.Reason),
		r.Message,
		ex.RequestID,
		strconv.Itoa(ex.Status),
		ex.MESID,
		r.PrevHash,
	} {
		b = strconv.AppendInt(b, int64(len(f)), 10)
		b = append(b, ':')
		b = append(b, f...)
		b = append(b, ',')
	}
	return b
}

// HashOf returns the lowercase hex SHA-256 of Canonical(r).
func HashOf(r *Record) string {
	sum := sha256.Sum256(Canonical(r))
	return hex.EncodeToString(sum[:])
}

// Seal links r after a record with hash prev and sequence number prevSeq:
// it sets r.Seq, r.PrevHash and r.Hash, and truncates r.At to what is
// stored (UTC nanoseconds).
func Seal(r *Record, prevSeq int64, prev string) {
	r.At = r.At.UTC()
	r.Seq = prevSeq + 1
	r.PrevHash = prev
	r.Hash = HashOf(r)
}
