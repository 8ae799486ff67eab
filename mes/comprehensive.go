package mes

import (
	"fmt"
	"strings"

	"github.com/docbridge/docbridge"
)

// The FHIR R4 resources of the pdsm-iti65 profile: the comprehensive
// DocumentReference, the SubmissionSet List and the resources they contain.
// Like fhir.go, local structs that render exactly what is set.

type fhirExtension struct {
	URL                  string          `json:"url"`
	ValueCodeableConcept *fhirConcept    `json:"valueCodeableConcept,omitempty"`
	ValueIdentifier      *fhirIdentifier `json:"valueIdentifier,omitempty"`
	ValueString          string          `json:"valueString,omitempty"`
	ValueCoding          *fhirCoding     `json:"valueCoding,omitempty"`
	ValueAddress         *fhirAddress    `json:"valueAddress,omitempty"`
}

type fhirAddress struct {
	Extension []fhirExtension `json:"extension"`
}

type fhirHumanName struct {
	Extension []fhirExtension `json:"extension,omitempty"`
	Use       string          `json:"use,omitempty"`
	Text      string          `json:"text,omitempty"`
	Family    string          `json:"family,omitempty"`
	Given     []string        `json:"given,omitempty"`
}

type containedPractitioner struct {
	ResourceType string           `json:"resourceType"`
	ID           string           `json:"id"`
	Identifier   []fhirIdentifier `json:"identifier,omitempty"`
	Name         []fhirHumanName  `json:"name,omitempty"`
}

type containedOrganization struct {
	ResourceType string           `json:"resourceType"`
	ID           string           `json:"id"`
	Identifier   []fhirIdentifier `json:"identifier,omitempty"`
	Name         string           `json:"name,omitempty"`
}

type containedRole struct {
	ResourceType string         `json:"resourceType"`
	ID           string         `json:"id"`
	Practitioner *fhirReference `json:"practitioner,omitempty"`
	Organization *fhirReference `json:"organization,omitempty"`
	Specialty    []fhirConcept  `json:"specialty,omitempty"`
}

type containedPatient struct {
	ResourceType string           `json:"resourceType"`
	ID           string           `json:"id"`
	Extension    []fhirExtension  `json:"extension,omitempty"`
	Identifier   []fhirIdentifier `json:"identifier,omitempty"`
	Name         []fhirHumanName  `json:"name,omitempty"`
	Gender       string           `json:"gender,omitempty"`
	BirthDate    string           `json:"birthDate,omitempty"`
}

type fhirAttachment struct {
	ContentType string `json:"contentType"`
	Language    string `json:"language"`
	URL         string `json:"url"`
	Size        int64  `json:"size"`
	Hash        string `json:"hash"`
	Title       string `json:"title"`
	Creation    string `json:"creation"`
}

type fhirContent struct {
	Attachment fhirAttachment `json:"attachment"`
	Format     fhirCoding     `json:"format"`
}

// comprehensiveDocRef is PDSm_ComprehensiveDocumentReference.
type comprehensiveDocRef struct {
	ResourceType     string          `json:"resourceType"`
	Meta             fhirMeta        `json:"meta"`
	Contained        []any           `json:"contained"`
	MasterIdentifier fhirIdentifier  `json:"masterIdentifier"`
	Status           string          `json:"status"`
	Type             *fhirConcept    `json:"type"`
	Category         []*fhirConcept  `json:"category"`
	Subject          fhirReference   `json:"subject"`
	Date             string          `json:"date"`
	Author           []fhirReference `json:"author"`
	Authenticator    *fhirReference  `json:"authenticator,omitempty"`
	Custodian        fhirReference   `json:"custodian"`
	RelatesTo        []fhirRelatesTo `json:"relatesTo,omitempty"`
	SecurityLabel    []fhirConcept   `json:"securityLabel"`
	Content          []fhirContent   `json:"content"`
	Context          *fhirContext    `json:"context"`
}

type fhirListEntry struct {
	Item fhirReference `json:"item"`
}

// submissionSet is PDSm_SubmissionSetComprehensive.
type submissionSet struct {
	ResourceType string           `json:"resourceType"`
	Meta         fhirMeta         `json:"meta"`
	Contained    []any            `json:"contained"`
	Extension    []fhirExtension  `json:"extension"`
	Identifier   []fhirIdentifier `json:"identifier"`
	Status       string           `json:"status"`
	Mode         string           `json:"mode"`
	Code         fhirConcept      `json:"code"`
	Subject      fhirReference    `json:"subject"`
	Date         string           `json:"date"`
	Source       fhirReference    `json:"source"`
	Entry        []fhirListEntry  `json:"entry"`
}

// patchParameters is a FHIRPath Patch (IHE.MHD.Patch.Parameters).
type patchParameters struct {
	ResourceType string          `json:"resourceType"`
	Meta         *fhirMeta       `json:"meta,omitempty"`
	Parameter    []patchArgument `json:"parameter"`
}

type patchArgument struct {
	Name         string          `json:"name"`
	ValueCode    string          `json:"valueCode,omitempty"`
	ValueString  string          `json:"valueString,omitempty"`
	ValueURI     string          `json:"valueUri,omitempty"`
	ValueBoolean *bool           `json:"valueBoolean,omitempty"`
	Part         []patchArgument `json:"part,omitempty"`
}

// contained collects the contained resources of one resource, each actor
// once, under ids local to that resource ("role1", "organization1", …).
type contained struct {
	list []any
	ids  map[string]string // identity key → id
	n    map[string]int    // resources per id prefix
}

func newContained() *contained {
	return &contained{ids: map[string]string{}, n: map[string]int{}}
}

// add returns the reference to the contained resource with this key,
// building it with the next id of prefix the first time.
func (c *contained) add(prefix, key string, build func(id string) any) *fhirReference {
	key = prefix + "|" + key
	id, ok := c.ids[key]
	if !ok {
		c.n[prefix]++
		id = fmt.Sprintf("%s%d", prefix, c.n[prefix])
		c.ids[key] = id
		c.list = append(c.list, build(id))
	}
	return &fhirReference{Reference: "#" + id}
}

// organization refers to a contained Organization, or returns nil when o
// names nothing.
func (c *contained) organization(o *docbridge.Organization) *fhirReference {
	if o == nil || o.ID == "" && o.Name == "" {
		return nil
	}
	return c.add("organization", o.System+"|"+o.ID+"|"+o.Name, func(id string) any {
		r := containedOrganization{ResourceType: "Organization", ID: id, Name: o.Name}
		if o.ID != "" {
			r.Identifier = []fhirIdentifier{{System: oidURI(o.System), Value: o.ID}}
		}
		return r
	})
}

// practitioner refers to a contained Practitioner, or returns nil when a
// names no person.
func (c *contained) practitioner(a docbridge.Author) *fhirReference {
	if a.ID == "" && a.Name == "" {
		return nil
	}
	return c.add("practitioner", a.System+"|"+a.ID+"|"+a.Name, func(id string) any {
		r := containedPractitioner{ResourceType: "Practitioner", ID: id}
		if a.ID != "" {
			r.Identifier = []fhirIdentifier{{System: oidURI(a.System), Value: a.ID}}
		}
		if a.Name != "" {
			r.Name = []fhirHumanName{{Text: a.Name}}
		}
		return r
	})
}

// role refers to a contained PractitionerRole tying the person, the
// organisation and the specialty of a, as MHD maps an XDS author; nil when
// a names nothing.
func (c *contained) role(a docbridge.Author) *fhirReference {
	person, org := c.practitioner(a), c.organization(a.Organization)
	if person == nil && org == nil {
		return nil
	}
	var specialty []fhirConcept
	key := refKey(person) + "|" + refKey(org)
	if a.Specialty != nil && !a.Specialty.IsZero() {
		specialty = []fhirConcept{*concept(*a.Specialty)}
		key += "|" + a.Specialty.System + "|" + a.Specialty.Code
	}
	return c.add("role", key, func(id string) any {
		return containedRole{ResourceType: "PractitionerRole", ID: id, Practitioner: person, Organization: org, Specialty: specialty}
	})
}

func refKey(r *fhirReference) string {
	if r == nil {
		return ""
	}
	return r.Reference
}

// patient refers to a contained Patient holding what the source document
// says of the patient: the INS and local ids, and the five strict traits
// the way FR Core writes them (the INS never travels without them).
func (c *contained) patient(pt docbridge.Patient) *fhirReference {
	return c.add("patient", "", func(id string) any {
		r := containedPatient{ResourceType: "Patient", ID: id, BirthDate: pt.BirthDate, Gender: fhirGender[pt.Sex]}
		if pt.INS != "" {
			r.Identifier = append(r.Identifier, fhirIdentifier{Use: "official", System: oidURI(pt.INSSystem), Value: pt.INS})
		}
		for _, l := range pt.LocalIDs {
			r.Identifier = append(r.Identifier, fhirIdentifier{Use: "usual", System: oidURI(l.System), Value: l.Value})
		}
		if pt.BirthName != "" || len(pt.FirstNames) > 0 {
			n := fhirHumanName{Use: "official", Family: pt.BirthName}
			if len(pt.FirstNames) > 0 {
				n.Given = pt.FirstNames[:1]
				n.Extension = []fhirExtension{{URL: extBirthListGiven, ValueString: strings.Join(pt.FirstNames, " ")}}
			}
			r.Name = []fhirHumanName{n}
		}
		if pt.BirthPlace != "" {
			r.Extension = []fhirExtension{{URL: extBirthPlace, ValueAddress: &fhirAddress{Extension: []fhirExtension{{
				URL: extInseeCode, ValueCoding: &fhirCoding{System: systemCommune, Code: pt.BirthPlace},
			}}}}}
		}
		return r
	})
}

// fhirGender is Patient.gender for docbridge's sex codes.
var fhirGender = map[string]string{"M": "male", "F": "female", "U": "unknown"}

// missingForPDSm names the elements PDSm requires that d cannot fill, in
// the order of the DocumentReference; nil when none is missing.
func missingForPDSm(d *docbridge.Document) []string {
	var missing []string
	need := func(ok bool, what string) {
		if !ok {
			missing = append(missing, what)
		}
	}
	need(!d.Type.IsZero(), "type")
	need(!d.Class.IsZero(), "category (class)")
	authors := false
	for _, a := range d.Authors {
		authors = authors || a.ID != "" || a.Name != "" || a.Organization != nil && (a.Organization.ID != "" || a.Organization.Name != "")
	}
	need(authors, "author")
	need(d.Custodian != nil && (d.Custodian.ID != "" || d.Custodian.Name != ""), "custodian")
	need(d.Confidentiality != "", "securityLabel (confidentiality)")
	need(d.ContentType != "", "attachment.contentType")
	need(d.Language != "", "attachment.language")
	need(d.Title != "", "attachment.title")
	need(d.Creation != "", "attachment.creation")
	need(d.Format != "", "format")
	need(d.ServiceStart != "", "context.period.start (service start)")
	need(!d.FacilityType.IsZero(), "context.facilityType")
	need(!d.PracticeSetting.IsZero(), "context.practiceSetting")
	return missing
}

// newComprehensiveDocRef renders d as PDSm_ComprehensiveDocumentReference
// whose content is the Binary at binaryURL, submitted at date. Call it
// after missingForPDSm found nothing.
func newComprehensiveDocRef(d *docbridge.Document, p *docbridge.Pairing, hash, binaryURL, date string) comprehensiveDocRef {
	c := newContained()
	r := comprehensiveDocRef{
		ResourceType:     "DocumentReference",
		Meta:             fhirMeta{Profile: []string{profileComprehensiveDR}},
		MasterIdentifier: uniqueIdentifier(d.UniqueID),
		Status:           "current",
		Type:             concept(d.Type),
		Category:         []*fhirConcept{concept(d.Class)},
		Subject:          subject(d, p),
		Date:             date,
		SecurityLabel:    securityLabels(d),
		Content: []fhirContent{{
			Attachment: fhirAttachment{
				ContentType: d.ContentType, Language: d.Language, URL: binaryURL,
				Size: d.Size, Hash: hash, Title: d.Title, Creation: d.Creation,
			},
			Format: fhirCoding{System: formatSystem(d.Format), Code: d.Format},
		}},
	}
	for _, a := range d.Authors {
		if ref := c.role(a); ref != nil {
			r.Author = append(r.Author, *ref)
		}
	}
	if a := d.LegalAuthenticator; a != nil {
		r.Authenticator = c.role(*a)
	}
	r.Custodian = *c.organization(d.Custodian)
	if d.Action == docbridge.Replace {
		id := uniqueIdentifier(d.Replaces)
		r.RelatesTo = []fhirRelatesTo{{Code: "replaces", Target: fhirReference{Reference: conditionalURL(d.Replaces), Identifier: &id}}}
	}
	r.Context = docContext(d)
	r.Context.SourcePatientInfo = c.patient(d.Patient)
	r.Contained = c.list
	return r
}

// newSubmissionSet renders the SubmissionSet of one DocumentReference
// (docRefURL) for d, submitted at date by sourceID (a bare OID).
func newSubmissionSet(d *docbridge.Document, p *docbridge.Pairing, uniqueID, sourceID, docRefURL, date string) submissionSet {
	c := newContained()
	var source *fhirReference
	for _, a := range d.Authors {
		if source = c.role(a); source != nil {
			break
		}
	}
	return submissionSet{
		ResourceType: "List",
		Meta:         fhirMeta{Profile: []string{profileSubmissionSet}},
		Contained:    c.list,
		Extension: []fhirExtension{
			{URL: extDesignationType, ValueCodeableConcept: concept(d.FacilityType)},
			{URL: extSourceID, ValueIdentifier: &fhirIdentifier{System: systemURI, Value: "urn:oid:" + sourceID}},
		},
		Identifier: []fhirIdentifier{{Use: "usual", System: systemURI, Value: uniqueID}},
		Status:     "current",
		Mode:       "working",
		Code:       fhirConcept{Coding: []fhirCoding{{System: systemMHDListTypes, Code: "submissionset"}}},
		Subject:    subject(d, p),
		Date:       date,
		Source:     *source,
		Entry:      []fhirListEntry{{Item: fhirReference{Reference: docRefURL}}},
	}
}

// supersedePatch is the FHIRPath Patch that sets a DocumentReference's
// status to superseded; deleted adds PDSm's logical deletion extension.
func supersedePatch(deleted bool) patchParameters {
	p := patchParameters{ResourceType: "Parameters", Parameter: []patchArgument{{Name: "operation", Part: []patchArgument{
		{Name: "type", ValueCode: "replace"},
		{Name: "path", ValueString: "DocumentReference.status"},
		{Name: "value", ValueCode: "superseded"},
	}}}}
	if !deleted {
		p.Meta = &fhirMeta{Profile: []string{profilePatchParameters}}
		return p
	}
	p.Parameter = append(p.Parameter, patchArgument{Name: "operation", Part: []patchArgument{
		{Name: "type", ValueCode: "add"},
		{Name: "path", ValueString: "DocumentReference"},
		{Name: "name", ValueString: "extension"},
		{Name: "value", Part: []patchArgument{
			{Name: "url", ValueURI: extIsDeleted},
			{Name: "valueBoolean", ValueBoolean: ptr(true)},
		}},
	}})
	return p
}
