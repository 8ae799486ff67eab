package docbridge

// Profile is a source profile: what a source cannot carry, given once by
// the operator (docs/architecture.md §5). Codes are written as the
// configuration gives them and translated through mappings/ by the
// converters. A profile fills only what a document leaves empty: a default
// never overrides a value the document itself carries, and every field it
// fills is named in Document.Provenance.
type Profile struct {
	// Name identifies the profile in Document.Provenance, logs and
	// reports ("lab-bio"); a bulk run's profile file has none and is named
	// after the run.
	Name string `json:"name,omitempty" yaml:"name"`

	FacilityType    string         `json:"facility_type,omitempty" yaml:"facility_type"`       // JDV_J02 code, e.g. SA25
	PracticeSetting string         `json:"practice_setting,omitempty" yaml:"practice_setting"` // JDV_J04 code: AMBULATOIRE or ETABLISSEMENT
	Custodian       *ProfileOrg    `json:"custodian,omitempty" yaml:"custodian"`
	Author          *ProfileAuthor `json:"author,omitempty" yaml:"author"`
	Confidentiality string         `json:"confidentiality,omitempty" yaml:"confidentiality"` // JDV_J08 code, e.g. N
	Language        string         `json:"language,omitempty" yaml:"language"`               // e.g. fr-FR
	DocumentType    string         `json:"document_type,omitempty" yaml:"document_type"`     // JDV_J07 code, or a local code mappings/ translates
	// Measurements turns on the reading of measurements (numeric HL7 v2
	// OBX results, CDA vital-sign and lab entries, FHIR Observations) from
	// this source: each becomes a Document of KindMeasurement for MES's
	// Mesures API. Off by default.
	Measurements bool            `json:"measurements,omitempty" yaml:"measurements"`
	When         ProfileSelector `json:"when,omitempty" yaml:"when"`
	// Agenda says whether and which of the source's appointments (HL7 v2
	// SIU, FHIR Appointment) go to the patient's MES agenda; nil means
	// none: a source sends appointments only once its profile enables
	// them.
	Agenda *ProfileAgenda `json:"agenda,omitempty" yaml:"agenda"`
}

// ProfileAgenda is what a source profile says of the source's
// appointments. An appointment whose type (SIU SCH-8.1) or service code
// (SIU AIS-3.1, FHIR serviceType) is not among Types, when Types is not
// empty, is acknowledged and recorded as not for the agenda
// (NotForAgenda), never sent. Establishment fills what the source does
// not say of where the appointment takes place.
type ProfileAgenda struct {
	Enabled       bool           `json:"enabled" yaml:"enabled"`
	Types         []string       `json:"types,omitempty" yaml:"types"`
	Establishment *Establishment `json:"establishment,omitempty" yaml:"establishment"`
}

// Takes reports whether an appointment of type typeCode and service code
// service goes to the agenda: a listed code, or any when Types is empty.
func (a *ProfileAgenda) Takes(typeCode, service string) bool {
	if len(a.Types) == 0 {
		return true
	}
	for _, t := range a.Types {
		if t != "" && (t == typeCode || t == service) {
			return true
		}
	}
	return false
}

// ProfileOrg is a profile's custodian organisation. ID is written
// "root^extension" as uniqueIds are (1.2.250.1.71.4.2.2^1999999901 for a
// FINESS).
type ProfileOrg struct {
	ID   string `json:"id" yaml:"id"`
	Name string `json:"name" yaml:"name"`
}

// ProfileAuthor is a profile's default author: ID is the RPPS number,
// Specialty a JDV_J01 code (G15_10/SM54).
type ProfileAuthor struct {
	ID        string `json:"id" yaml:"id"`
	Name      string `json:"name" yaml:"name"`
	Specialty string `json:"specialty,omitempty" yaml:"specialty"`
}

// ProfileSelector says which inputs a profile applies to: any subset of
// the intake's name, the HL7 sending application and facility (MSH-3.1,
// MSH-4.1) and the FHIR sender (the name of its token or the subject of
// its client certificate). Empty fields match anything.
type ProfileSelector struct {
	Intake             string `json:"intake,omitempty" yaml:"intake"`
	SendingApplication string `json:"sending_application,omitempty" yaml:"sending_application"`
	SendingFacility    string `json:"sending_facility,omitempty" yaml:"sending_facility"`
	Sender             string `json:"sender,omitempty" yaml:"sender"`
}

// ProfileKey is what is known of an input's source when its profile is
// chosen.
type ProfileKey struct {
	Intake             string
	SendingApplication string
	SendingFacility    string
	Sender             string
}

// Profiles is the configured list of source profiles.
type Profiles []Profile

// Select returns the profile that applies to k, or nil: among the profiles
// whose every non-empty selector field equals k's, the most specific (the
// most non-empty fields); among equally specific ones, the first listed.
func (ps Profiles) Select(k ProfileKey) *Profile {
	var best *Profile
	bestN := -1
	for i := range ps {
		w := ps[i].When
		n := 0
		ok := true
		for _, f := range [][2]string{
			{w.Intake, k.Intake}, {w.SendingApplication, k.SendingApplication},
			{w.SendingFacility, k.SendingFacility}, {w.Sender, k.Sender},
		} {
			if f[0] == "" {
				continue
			}
			if f[0] != f[1] {
				ok = false
				break
			}
			n++
		}
		if ok && n > bestN {
			best, bestN = &ps[i], n
		}
	}
	return best
}
