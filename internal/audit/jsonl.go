package audit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"iter"
)

// jsonLine returns r's JSON: the one-line form of exports, archives and
// forwarded messages, without a trailing newline. HTML characters are not
// escaped.
func jsonLine(r *Record) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		return nil, fmt.Errorf("encode audit record %d: %w", r.Seq, err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// WriteJSONL writes each record as one JSON line (the SIEM export). It
// returns the first iterator or write error.
func WriteJSONL(w io.Writer, records iter.Seq2[Record, error]) error {
	for r, err := range records {
		if err != nil {
			return err
		}
		line, err := jsonLine(&r)
		if err != nil {
			return err
		}
		if _, err := w.Write(append(line, '\n')); err != nil {
			return fmt.Errorf("write audit record %d: %w", r.Seq, err)
		}
	}
	return nil
}

// WriteFHIR writes each record as one FHIR R4 AuditEvent per line
// (NDJSON, as FHIR bulk data does). It returns the first iterator, mapping
// or write error.
func WriteFHIR(w io.Writer, records iter.Seq2[Record, error], o FHIROptions) error {
	for r, err := range records {
		if err != nil {
			return err
		}
		b, err := MarshalAuditEvent(&r, o)
		if err != nil {
			return err
		}
		if _, err := w.Write(append(b, '\n')); err != nil {
			return fmt.Errorf("write audit event %d: %w", r.Seq, err)
		}
	}
	return nil
}
