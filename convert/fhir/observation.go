package fhir

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	fm "github.com/samply/golang-fhir-models/fhir-models/fhir"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/convert/internal/measure"
	"github.com/docbridge/docbridge/mappings"
)

// obsInput is the part of an Observation a measurement is read from,
// decoded exactly (samply's status enum would make a missing status a
// valid code).
type obsInput struct {
	Identifier []struct {
		System string `json:"system"`
		Value  string `json:"value"`
	} `json:"identifier"`
	Status            string        `json:"status"`
	Code              obsConcept    `json:"code"`
	Subject           *fm.Reference `json:"subject"`
	EffectiveDateTime string        `json:"effectiveDateTime"`
	EffectivePeriod   *struct {
		Start string `json:"start"`
	} `json:"effectivePeriod"`
	ValueQuantity *obsQuantity `json:"valueQuantity"`
	Component     []struct {
		Code          obsConcept   `json:"code"`
		ValueQuantity *obsQuantity `json:"valueQuantity"`
	} `json:"component"`
}

type obsConcept struct {
	Coding []struct {
		System string `json:"system"`
		Code   string `json:"code"`
	} `json:"coding"`
}

type obsQuantity struct {
	Value      json.Number `json:"value"`
	Comparator string      `json:"comparator"`
	Unit       string      `json:"unit"`
	System     string      `json:"system"`
	Code       string      `json:"code"`
}

// loinc returns the first LOINC code of the concept a Mesures profile
// takes (BMI included), or the first LOINC code.
func (c obsConcept) loinc() string {
	first := ""
	for _, cd := range c.Coding {
		if mappings.SystemURI(cd.System) != mappings.LOINC {
			continue
		}
		if _, ok := mappings.MeasureRoute(cd.Code); ok || mappings.IsBMI(cd.Code) {
			return cd.Code
		}
		if first == "" {
			first = cd.Code
		}
	}
	return first
}

// observations converts the Observations of an input (one Observation, or
// the entries of a Bundle with their Patients) into measurement documents.
// An Observation no Mesures profile takes, or a BMI, is left out with a
// warning; an input with none is refused (UnsupportedFormat).
func (c *conv) observations(entries []json.RawMessage, res *resolver, paths []string) ([]*docbridge.Document, error) {
	var docs []*docbridge.Document
	var warnings []string
	for i, raw := range entries {
		d, warning, err := c.observation(raw, res, paths[i])
		if err != nil {
			return nil, err
		}
		if warning != "" {
			warnings = append(warnings, warning)
		}
		if d != nil {
			docs = append(docs, d)
		}
	}
	if len(docs) == 0 {
		msg := "the input carries no measurement Mon espace santé takes (an Observation with a LOINC code of a Mesures profile)"
		if len(warnings) > 0 {
			msg += ": " + warnings[0]
		}
		return nil, unsupported(msg)
	}
	for _, d := range docs {
		for _, w := range warnings {
			d.AddProblem(docbridge.UnsupportedFormat, docbridge.SeverityWarning, "%s", w)
		}
	}
	return docs, nil
}

// observation converts one Observation; it returns nil and a warning for
// one no profile takes.
func (c *conv) observation(raw json.RawMessage, bundle *resolver, path string) (*docbridge.Document, string, error) {
	h, err := readHead(raw)
	if err != nil {
		return nil, "", err
	}
	var o obsInput
	if err := json.Unmarshal(raw, &o); err != nil {
		return nil, "", malformed(path, err)
	}
	code := o.Code.loinc()
	if mappings.IsBMI(code) {
		return nil, path + ": the body mass index is computed by Mon espace santé from weight and height; docbridge never sends it", nil
	}
	p, ok := mappings.MeasureRoute(code)
	if !ok {
		return nil, path + ": the Observation's code is not one of a Mesures profile (a LOINC code such as 29463-7 body weight)", nil
	}
	d := measure.New(docbridge.FormatFHIR, p, code, docbridge.Patient{})
	b := &builder{m: c.m, loc: c.loc, d: d}
	b.patient(o.Subject, nil, bundle.withContained(h.Contained), path)
	m := d.Measurement
	status := o.Status
	if status == "" {
		status = "unknown (no status)"
	}
	measure.Status(d, status, path+".status")

	when := o.EffectiveDateTime
	if when == "" && o.EffectivePeriod != nil {
		when = o.EffectivePeriod.Start
	}
	switch {
	case when == "":
		b.errorf(docbridge.MissingMetadata, "%s has no effectiveDateTime nor effectivePeriod.start; Mon espace santé requires when it was taken", path)
	case !fhirDateTime(when):
		b.errorf(docbridge.MissingMetadata, "%s.effective[x] is not a FHIR dateTime with at least a day and, with a time, an offset", path)
	default:
		m.Effective = when
	}

	if p.Name == "bp" {
		measure.Pressure(d, path+".component", path+".component", func(code string) (string, string, bool) {
			for i, comp := range o.Component {
				if comp.Code.loinc() == code {
					v, u := obsValue(d, p, comp.ValueQuantity, fmt.Sprintf("%s.component[%d].valueQuantity", path, i))
					return v, u, true
				}
			}
			return "", "", false
		})
	} else {
		m.Value, m.Unit = obsValue(d, p, o.ValueQuantity, path+".valueQuantity")
	}

	ident := ""
	if len(o.Identifier) > 0 {
		ident = o.Identifier[0].System + "|" + o.Identifier[0].Value
	} else {
		ident = "ins:" + d.Patient.INSSystem + "|" + d.Patient.INS
	}
	measure.Finish(d, []string{"FHIR", ident, code, when}, "FHIR")
	return d, "", nil
}

// obsValue reads, converts and checks one valueQuantity.
func obsValue(d *docbridge.Document, p mappings.MeasureProfile, q *obsQuantity, at string) (string, string) {
	if q == nil || q.Value == "" {
		d.AddProblem(docbridge.MissingMetadata, docbridge.SeverityError, "%s: the measurement has no value", at)
		return "", ""
	}
	if q.Comparator != "" {
		d.AddProblem(docbridge.Malformed, docbridge.SeverityError, "%s.comparator: %s; Mon espace santé takes one plain number", at, measure.ErrNotPlain)
		return "", ""
	}
	v, err := measure.Decimal(q.Value.String())
	if err != nil {
		d.AddProblem(docbridge.Malformed, docbridge.SeverityError, "%s.value: %s", at, err)
		return "", ""
	}
	unit := q.Code
	if unit == "" || (q.System != "" && q.System != "http://unitsofmeasure.org") {
		unit = q.Unit
	}
	return measure.Value(d, p, v, unit, at)
}

// fhirDateTime reports whether s is a FHIR dateTime of at least day
// precision: YYYY-MM-DD, or a time with its offset.
func fhirDateTime(s string) bool {
	if _, err := time.Parse("2006-01-02", s); err == nil {
		return true
	}
	_, err := time.Parse(time.RFC3339Nano, s)
	return err == nil
}

// errNoObservations is bundleObservations' answer for a Bundle without
// Observations.
var errNoObservations = errors.New("no Observation")

// bundleObservations converts the Observations of a Bundle, resolving
// their subjects among its entries; errNoObservations when it has none,
// or when it carries a DocumentReference (an ITI-65 Bundle, read as such).
func (c *conv) bundleObservations(raw []byte) ([]*docbridge.Document, error) {
	var b struct {
		Entry []struct {
			FullURL  string          `json:"fullUrl"`
			Resource json.RawMessage `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(raw, &b); err != nil {
		return nil, malformed("the Bundle", err)
	}
	res := &resolver{}
	var obs []json.RawMessage
	var paths []string
	for i, e := range b.Entry {
		if len(e.Resource) == 0 {
			continue
		}
		h, err := readHead(e.Resource)
		if err != nil {
			return nil, err
		}
		res.addEntry(e.FullURL, resource{Type: h.ResourceType, Raw: e.Resource}, h.ID)
		switch h.ResourceType {
		case "DocumentReference":
			return nil, errNoObservations
		case "Observation":
			obs = append(obs, e.Resource)
			paths = append(paths, fmt.Sprintf("Bundle.entry[%d]", i))
		}
	}
	if len(obs) == 0 {
		return nil, errNoObservations
	}
	return c.observations(obs, res, paths)
}
