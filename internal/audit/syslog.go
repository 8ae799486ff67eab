package audit

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/samply/golang-fhir-models/fhir-models/fhir"
)

// Syslog facility and the SD-ID of docbridge's structured data. 32473 is
// the private enterprise number IANA reserves for examples: receivers match
// on the SD-ID as a whole.
const (
	facilityLogAudit = 13
	sdID             = "docbridge@32473"
	sendTimeout      = 30 * time.Second
)

// SyslogOptions configures a Syslog sender.
type SyslogOptions struct {
	Addr     string      // host:port of the RFC 5425 receiver (usually port 6514)
	TLS      *tls.Config // RootCAs for the receiver, Certificates for client authentication; required
	Hostname string      // HOSTNAME field: this docbridge instance; "-" when empty
}

// Syslog sends records as RFC 5424 messages over TLS with RFC 5425
// octet-counting framing. It keeps one connection and dials again after
// any error. RFC 5425 has no application-level acknowledgement: Send
// returns nil once the frame is written to the TLS connection. It is safe
// for use by one goroutine at a time (the Forwarder).
type Syslog struct {
	o    SyslogOptions
	mu   sync.Mutex
	conn net.Conn
}

// NewSyslog returns a Syslog sender; it dials on the first Send.
func NewSyslog(o SyslogOptions) *Syslog { return &Syslog{o: o} }

// Send implements Sender.
func (s *Syslog) Send(ctx context.Context, r *Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil {
		d := tls.Dialer{NetDialer: &net.Dialer{Timeout: sendTimeout}, Config: s.o.TLS}
		c, err := d.DialContext(ctx, "tcp", s.o.Addr)
		if err != nil {
			return fmt.Errorf("dial syslog %s: %w", s.o.Addr, err)
		}
		s.conn = c
	}
	msg, err := SyslogMessage(r, s.o.Hostname)
	if err != nil {
		return err
	}
	frame := strconv.Itoa(len(msg)) + " " + msg
	s.conn.SetWriteDeadline(time.Now().Add(sendTimeout))
	if _, err := s.conn.Write([]byte(frame)); err != nil {
		s.conn.Close()
		s.conn = nil
		return fmt.Errorf("write to syslog %s: %w", s.o.Addr, err)
	}
	return nil
}

// Close closes the connection, if any.
func (s *Syslog) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil {
		return nil
	}
	err := s.conn.Close()
	s.conn = nil
	return err
}

// SyslogMessage returns r as one RFC 5424 message (without framing):
// facility log audit (13), severity informational, warning or error after
// the FHIR outcome (0, 4, 8), the record time in UTC with microseconds,
// APP-NAME "docbridge", MSGID the record kind, structured data
// [docbridge@32473 seq hash prev doc input actor] and, as MSG, a UTF-8 BOM
// and the record's JSON line.
func SyslogMessage(r *Record, hostname string) (string, error) {
	line, err := jsonLine(r)
	if err != nil {
		return "", err
	}
	sev := 6
	switch outcome(r) {
	case fhir.AuditEventOutcome4:
		sev = 4
	case fhir.AuditEventOutcome8:
		sev = 3
	}
	var b strings.Builder
	fmt.Fprintf(&b, "<%d>1 %s %s docbridge - %s [%s", facilityLogAudit*8+sev,
		r.At.UTC().Format("2006-01-02T15:04:05.000000Z"), headerField(hostname, 255), headerField(string(r.Kind), 32), sdID)
	param := func(name, value string) {
		fmt.Fprintf(&b, ` %s="%s"`, name, sdEscape.Replace(value))
	}
	param("seq", strconv.FormatInt(r.Seq, 10))
	param("hash", r.Hash)
	param("prev", r.PrevHash)
	if r.DocID != 0 {
		param("doc", strconv.FormatInt(r.DocID, 10))
	}
	if r.InputID != 0 {
		param("input", strconv.FormatInt(r.InputID, 10))
	}
	param("actor", r.Actor)
	b.WriteString("] \uFEFF")
	b.Write(line)
	return b.String(), nil
}

// sdEscape escapes an SD-PARAM value (RFC 5424 §6.3.3).
var sdEscape = strings.NewReplacer(`\`, `\\`, `"`, `\"`, `]`, `\]`)

// headerField returns s as a header field: printable US-ASCII without
// spaces, at most max bytes, "-" when empty.
func headerField(s string, max int) string {
	b := []byte(s)
	for i, c := range b {
		if c <= 32 || c >= 127 {
			b[i] = '_'
		}
	}
	if len(b) > max {
		b = b[:max]
	}
	if len(b) == 0 {
		return "-"
	}
	return string(b)
}
