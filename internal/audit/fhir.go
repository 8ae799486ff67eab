package audit

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/samply/golang-fhir-models/fhir-models/fhir"

	"github.com/docbridge/docbridge"
)

// Code systems of the FHIR AuditEvent mapping. The urn:docbridge: ones
// are docbridge's own.
const (
	sysDCM        = "http://dicom.nema.org/resources/ontology/DCM"
	sysKind       = "urn:docbridge:audit-kind"
	sysRESTful    = "http://hl7.org/fhir/restful-interaction"
	sysRoleType   = "http://terminology.hl7.org/CodeSystem/extra-security-role-type"
	sysSourceType = "http://terminology.hl7.org/CodeSystem/security-source-type"
	sysEntityType = "http://terminology.hl7.org/CodeSystem/audit-entity-type"
	sysObjectRole = "http://terminology.hl7.org/CodeSystem/object-role"
	sysURI        = "urn:ietf:rfc:3986"
	sysActor      = "urn:docbridge:actor"
	sysInstance   = "urn:docbridge:instance"
	sysDocument   = "urn:docbridge:document"
	sysInput      = "urn:docbridge:input"
	sysPairing    = "urn:docbridge:pairing"
	sysMESID      = "urn:docbridge:mes-documentreference"

	// ExtSeq, ExtHash and ExtPrev are the extensions that carry a record's
	// place in the hash chain on its AuditEvent (valueString each).
	ExtSeq  = "urn:docbridge:audit:seq"
	ExtHash = "urn:docbridge:audit:hash"
	ExtPrev = "urn:docbridge:audit:prev"
)

// FHIROptions configures the AuditEvent mapping.
type FHIROptions struct {
	// Instance names this docbridge: source.site and source.observer. Required.
	Instance string
}

// eventType is the DICOM event type and the FHIR action of each kind.
var eventType = map[Kind]struct {
	code, display string
	action        fhir.AuditEventAction
}{
	InputAccepted:      {"110107", "Import", fhir.AuditEventActionC},
	InputConverted:     {"110107", "Import", fhir.AuditEventActionC},
	InputFailed:        {"110107", "Import", fhir.AuditEventActionC},
	DocumentCreated:    {"110107", "Import", fhir.AuditEventActionC},
	DocumentTransition: {"110110", "Patient Record", fhir.AuditEventActionU},
	MESExchange:        {"110106", "Export", fhir.AuditEventActionC},
	PairingCreated:     {"110110", "Patient Record", fhir.AuditEventActionC},
	PairingUpdated:     {"110110", "Patient Record", fhir.AuditEventActionU},
	PairingRevoked:     {"110110", "Patient Record", fhir.AuditEventActionU},
	Admin:              {"110100", "Application Activity", fhir.AuditEventActionE},
	Archived:           {"110101", "Audit Log Used", fhir.AuditEventActionE},
	Checkpoint:         {"110101", "Audit Log Used", fhir.AuditEventActionE},
}

// AuditEvent maps r to a FHIR R4 AuditEvent in the spirit of IHE BALP:
// type is the DICOM event type (Import, Export, Patient Record, …),
// subtype the record kind (and the RESTful interaction for an MES
// exchange), action C/U/E, recorded the record's time, outcome 0 (success),
// 4 (held or review: will be retried or decided) or 8 (failed), agent the
// actor (and MES, for an exchange), source this docbridge instance, and
// entity the document (by uniqueId), the input, the pairing and the MES id
// by identifier only. The record's seq, hash and previous hash ride in
// extensions. No patient identity is mapped. It returns an error for an
// unknown kind or a result that would not be a valid AuditEvent.
func AuditEvent(r *Record, o FHIROptions) (fhir.AuditEvent, error) {
	et, ok := eventType[r.Kind]
	if !ok {
		return fhir.AuditEvent{}, fmt.Errorf("audit record %d: unknown kind %q", r.Seq, r.Kind)
	}
	if o.Instance == "" {
		return fhir.AuditEvent{}, errors.New("audit event: no instance name")
	}
	ae := fhir.AuditEvent{
		Id:       ptr(fhirID(o.Instance, r.Seq)),
		Type:     coding(sysDCM, et.code, et.display),
		Subtype:  []fhir.Coding{coding(sysKind, string(r.Kind), "")},
		Action:   ptr(et.action),
		Recorded: r.At.UTC().Format(time.RFC3339Nano),
		Outcome:  ptr(outcome(r)),
		Agent:    []fhir.AuditEventAgent{actorAgent(r.Actor, r.Human())},
		Source: fhir.AuditEventSource{
			Site: ptr(o.Instance),
			Observer: fhir.Reference{
				Identifier: &fhir.Identifier{System: ptr(sysInstance), Value: ptr(o.Instance)},
				Display:    ptr("docbridge " + o.Instance),
			},
			Type: []fhir.Coding{coding(sysSourceType, "4", "Application Server")},
		},
		Extension: []fhir.Extension{
			{Url: ExtSeq, ValueString: ptr(strconv.FormatInt(r.Seq, 10))},
			{Url: ExtHash, ValueString: ptr(r.Hash)},
		},
	}
	if r.PrevHash != "" {
		ae.Extension = append(ae.Extension, fhir.Extension{Url: ExtPrev, ValueString: ptr(r.PrevHash)})
	}
	if d := outcomeDesc(r); d != "" {
		ae.OutcomeDesc = ptr(d)
	}
	if r.Kind == MESExchange {
		ae.Subtype = append(ae.Subtype, coding(sysRESTful, "create", "create"))
		ae.Agent = append(ae.Agent, fhir.AuditEventAgent{
			Type:      &fhir.CodeableConcept{Coding: []fhir.Coding{coding(sysDCM, "110152", "Destination Role ID")}},
			Who:       &fhir.Reference{Display: ptr("Mon espace santé")},
			Requestor: false,
		})
	}
	ae.Entity = entities(r)
	if err := checkAuditEvent(&ae); err != nil {
		return fhir.AuditEvent{}, fmt.Errorf("audit record %d: %w", r.Seq, err)
	}
	return ae, nil
}

// MarshalAuditEvent returns AuditEvent(r, o) as JSON.
func MarshalAuditEvent(r *Record, o FHIROptions) ([]byte, error) {
	ae, err := AuditEvent(r, o)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(ae)
	if err != nil {
		return nil, fmt.Errorf("encode audit event %d: %w", r.Seq, err)
	}
	return b, nil
}

// outcome is 8 for what failed for good, 4 for what waits (held, review,
// MES unavailable) and 0 for the rest.
func outcome(r *Record) fhir.AuditEventOutcome {
	switch {
	case r.Kind == InputFailed || r.To == docbridge.Failed:
		return fhir.AuditEventOutcome8
	case r.Kind == MESExchange && r.Reason != "" && r.Reason != docbridge.Duplicate:
		if r.Reason.State() == docbridge.Failed {
			return fhir.AuditEventOutcome8
		}
		return fhir.AuditEventOutcome4
	case r.To == docbridge.Held || r.To == docbridge.Review:
		return fhir.AuditEventOutcome4
	}
	return fhir.AuditEventOutcome0
}

func outcomeDesc(r *Record) string {
	switch {
	case r.Reason != "" && r.Message != "":
		return string(r.Reason) + ": " + r.Message
	case r.Reason != "":
		return string(r.Reason)
	}
	return r.Message
}

func actorAgent(actor string, human bool) fhir.AuditEventAgent {
	t := coding(sysDCM, "110150", "Application")
	if human {
		t = coding(sysRoleType, "humanuser", "human user")
	}
	return fhir.AuditEventAgent{
		Type:      &fhir.CodeableConcept{Coding: []fhir.Coding{t}},
		Who:       &fhir.Reference{Identifier: &fhir.Identifier{System: ptr(sysActor), Value: ptr(actor)}, Display: ptr(actor)},
		Requestor: true,
	}
}

// entities names what the record is about, by identifiers only.
func entities(r *Record) []fhir.AuditEventEntity {
	var out []fhir.AuditEventEntity
	add := func(system, value, display, role, roleDisplay string) {
		ref := fhir.Reference{Identifier: &fhir.Identifier{System: ptr(system), Value: ptr(value)}}
		if display != "" {
			ref.Display = ptr(display)
		}
		out = append(out, fhir.AuditEventEntity{
			What: &ref,
			Type: ptr(coding(sysEntityType, "2", "System Object")),
			Role: ptr(coding(sysObjectRole, role, roleDisplay)),
		})
	}
	switch {
	case r.UniqueID != "":
		add(sysURI, r.UniqueID, docDisplay(r.DocID), "3", "Report")
	case r.DocID != 0:
		add(sysDocument, strconv.FormatInt(r.DocID, 10), docDisplay(r.DocID), "3", "Report")
	}
	if r.InputID != 0 && r.DocID == 0 {
		add(sysInput, strconv.FormatInt(r.InputID, 10), "docbridge input "+strconv.FormatInt(r.InputID, 10), "4", "Domain Resource")
	}
	if r.PairingID != "" {
		add(sysPairing, r.PairingID, "", "13", "Security Resource")
	}
	if r.Exchange != nil && r.Exchange.MESID != "" {
		add(sysMESID, r.Exchange.MESID, "DocumentReference at MES", "16", "Data Destination")
	}
	return out
}

func docDisplay(id int64) string {
	if id == 0 {
		return ""
	}
	return "docbridge document " + strconv.FormatInt(id, 10)
}

// checkAuditEvent checks what the samply models do not (DEPS §2.1): the
// required elements are present and the coded ones were set on purpose.
func checkAuditEvent(ae *fhir.AuditEvent) error {
	switch {
	case ae.Type.Code == nil || ae.Type.System == nil:
		return errors.New("audit event without a type")
	case ae.Recorded == "":
		return errors.New("audit event without a recorded time")
	case ae.Action == nil || ae.Outcome == nil:
		return errors.New("audit event without an action or outcome")
	case len(ae.Agent) == 0:
		return errors.New("audit event without an agent")
	case ae.Source.Observer.Display == nil && ae.Source.Observer.Identifier == nil:
		return errors.New("audit event without a source observer")
	}
	for i, a := range ae.Agent {
		if a.Who == nil {
			return fmt.Errorf("audit event agent %d without who", i)
		}
	}
	for i, e := range ae.Entity {
		if e.What == nil || e.Name != nil && e.Query != nil {
			return fmt.Errorf("audit event entity %d: want what, and not both name and query", i)
		}
	}
	return nil
}

// fhirID returns an AuditEvent id ([A-Za-z0-9.-]{1,64}) made of the
// instance name and seq.
func fhirID(instance string, seq int64) string {
	var b strings.Builder
	for _, c := range instance {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '-':
			b.WriteRune(c)
		default:
			b.WriteByte('-')
		}
	}
	s := strconv.FormatInt(seq, 10)
	prefix := b.String()
	if max := 64 - len(s) - 1; len(prefix) > max {
		prefix = prefix[:max]
	}
	if prefix == "" {
		return s
	}
	return prefix + "-" + s
}

func coding(system, code, display string) fhir.Coding {
	c := fhir.Coding{System: ptr(system), Code: ptr(code)}
	if display != "" {
		c.Display = ptr(display)
	}
	return c
}

func ptr[T any](v T) *T { return &v }
