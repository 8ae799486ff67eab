package convert

import (
	"strings"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/convert/internal/appt"
	"github.com/docbridge/docbridge/convert/internal/ident"
)

// fieldEstablishment is the Provenance key of an appointment's
// establishment when a source profile gave it.
const fieldEstablishment = "establishment"

// applyAgenda applies the source profile p to an appointment d, in place
// of the document fields (docs/architecture.md §5): a source whose profile
// does not enable the agenda has its appointments refused
// (UnsupportedFormat: agenda is off by default); an appointment whose type
// the profile does not list is recorded as not for the agenda
// (NotForAgenda); the establishment's name, address and FINESS the
// appointment does not carry are filled from the profile and named in
// Provenance. The content is computed again over what was filled.
func applyAgenda(d *docbridge.Document, p *docbridge.Profile) {
	a := d.Appointment
	if p == nil || p.Agenda == nil || !p.Agenda.Enabled {
		hint := "no source profile applies to this input"
		if p != nil {
			hint = profileName(p) + " does not enable it"
		}
		d.AddProblem(docbridge.UnsupportedFormat, docbridge.SeverityError,
			"appointments go to the patient's agenda only from a source whose profile enables it, and %s: set agenda.enabled in the source's profile (profiles:) to send them", hint)
		return
	}
	ag := p.Agenda
	if !ag.Takes(a.TypeCode, a.Service.Code) {
		d.AddProblem(docbridge.NotForAgenda, docbridge.SeverityError,
			"%s sends only the appointment types %v to the agenda; this one's type and service are neither: recorded, not sent", profileName(p), ag.Types)
	}
	if e := ag.Establishment; e != nil {
		if a.Establishment == nil {
			a.Establishment = &docbridge.Establishment{}
		}
		got, filled := a.Establishment, false
		for _, f := range []struct {
			dst *string
			src string
		}{{&got.Name, e.Name}, {&got.Address, e.Address}, {&got.ID, e.ID}} {
			if *f.dst == "" && f.src != "" {
				*f.dst, filled = f.src, true
			}
		}
		if filled {
			if d.Provenance == nil {
				d.Provenance = map[string]string{}
			}
			d.Provenance[fieldEstablishment] = "profile"
			if p.Name != "" {
				d.Provenance[fieldEstablishment] = "profile:" + p.Name
			}
		}
	}
	appt.Finish(d, a)
}

// agendaErrors checks the agenda part of a profile (CheckProfile): an
// establishment needs a name (the patient reads it), and its id, when
// given, is root^extension with an OID root.
func agendaErrors(p *docbridge.Profile) []profileError {
	if p.Agenda == nil || p.Agenda.Establishment == nil {
		return nil
	}
	e := p.Agenda.Establishment
	var errs []profileError
	if strings.TrimSpace(e.Name) == "" {
		errs = append(errs, profileError{fieldEstablishment, "agenda.establishment.name", "the establishment has no name; the patient reads it"})
	}
	if root, ext, _ := strings.Cut(e.ID, "^"); e.ID != "" && (!ident.IsOID(root) || ext == "") {
		errs = append(errs, profileError{fieldEstablishment, "agenda.establishment.id",
			clip(e.ID) + " is not root^extension with an OID root (1.2.250.1.71.4.2.2^1999999901 for a FINESS)"})
	}
	return errs
}
