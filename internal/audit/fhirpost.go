package audit

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// FHIRPost sends records as AuditEvents to a FHIR server: POST
// [base]/AuditEvent, one per record. Any 2xx answer means taken; anything
// else, or no answer, is an error (the record stays in the outbox).
type FHIRPost struct {
	Base    string       // the FHIR base URL
	Client  *http.Client // nil means a client with a 30 s timeout
	Mapping FHIROptions
}

var defaultClient = &http.Client{Timeout: sendTimeout}

// Send implements Sender.
func (p *FHIRPost) Send(ctx context.Context, r *Record) error {
	body, err := MarshalAuditEvent(r, p.Mapping)
	if err != nil {
		return err
	}
	url := strings.TrimSuffix(p.Base, "/") + "/AuditEvent"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("build the audit request: %w", err)
	}
	req.Header.Set("Content-Type", "application/fhir+json")
	req.Header.Set("Accept", "application/fhir+json")
	c := p.Client
	if c == nil {
		c = defaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("post audit event %d: %w", r.Seq, err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("post audit event %d: the audit server answered HTTP %d", r.Seq, resp.StatusCode)
	}
	return nil
}
