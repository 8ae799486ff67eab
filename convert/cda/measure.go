package cda

import (
	"errors"
	"time"

	"github.com/beevik/etree"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/convert/internal/dates"
	"github.com/docbridge/docbridge/convert/internal/measure"
	"github.com/docbridge/docbridge/mappings"
)

// measureTemplates are the templateIds of the observations read as
// measurements: the CI-SIS vital sign (FR-Signe-vital-observé) and its
// IHE PCC parent, and the laboratory result observations (CI-SIS
// FR-Resultat-examens-de-biologie-element-clinique-pertinent, IHE Lab).
var measureTemplates = map[string]bool{
	"1.2.250.1.213.1.1.3.50":           true,
	"1.3.6.1.4.1.19376.1.5.3.1.4.13.2": true,
	"1.2.250.1.213.1.1.3.80":           true,
	"1.3.6.1.4.1.19376.1.3.1.6":        true,
}

// cdaStatuses maps an observation's statusCode to FHIR's observation
// status: completed is a final result, aborted one not done.
var cdaStatuses = map[string]string{
	"completed": "final", "active": "preliminary", "aborted": "cancelled", "cancelled": "cancelled",
	"held": "registered", "new": "registered", "suspended": "registered", "nullified": "entered-in-error", "obsolete": "entered-in-error",
}

// Measurements returns the measurements of a structured CDA document
// (docbridge.KindMeasurement, for MES's Mesures API): every observation
// of the body that is a vital sign (FR-Signe-vital-observé) or a
// laboratory result, has a LOINC code a Mesures profile takes and a PQ
// value; a systolic and a diastolic observation of one organizer make one
// blood pressure. The body mass index is left out (MES computes it).
// Each has patient (the document's identity, as Convert read it), and an
// id from the document's setId (else its id), the observation's id, its
// code and its time as written, so that a replacement of the document
// keeps its measurements' ids. The time is the observation's
// effectiveTime, else its organizer's. Errors are Convert's for a document
// that cannot be parsed; what is wrong with one measurement is a Problem
// on it.
func Measurements(raw []byte, patient docbridge.Patient, loc *time.Location) ([]*docbridge.Document, error) {
	xdoc, err := parse(raw)
	if err != nil {
		return nil, err
	}
	loc, err = dates.Location(loc)
	if err != nil {
		return nil, err
	}
	root := xdoc.Root()
	doc := ""
	if id, ok := readII(child(root, "setId")); ok {
		doc, _ = id.uniqueID()
	}
	if id, ok := readII(child(root, "id")); ok && doc == "" {
		doc, _ = id.uniqueID()
	}
	device := "CDA"
	if id, ok := readII(child(root, "id")); ok {
		device += "^" + id.root
	}
	mc := &measureConv{loc: loc, patient: patient, doc: doc, device: device}
	body := find(root, "component", "structuredBody")
	if body == nil {
		return nil, nil
	}
	mc.walk(body, nil)
	for _, g := range mc.pressures {
		mc.docs = append(mc.docs, mc.pressure(g))
	}
	return mc.docs, nil
}

// measureConv reads one document's measurements.
type measureConv struct {
	loc       *time.Location
	patient   docbridge.Patient
	doc       string // the document's setId or id
	device    string
	docs      []*docbridge.Document
	pressures [][]cdaReading
	groupOf   map[*etree.Element]int // organizer → index in pressures
	n         int                    // observations read, for messages
}

// cdaReading is one observation routed to a profile.
type cdaReading struct {
	e         *etree.Element
	organizer *etree.Element
	code      string
	profile   mappings.MeasureProfile
	at        string
}

// walk visits e's subtree, remembering the nearest organizer.
func (mc *measureConv) walk(e, organizer *etree.Element) {
	for _, c := range e.ChildElements() {
		if !v3(c) {
			continue
		}
		switch c.Tag {
		case "organizer":
			mc.walk(c, c)
			continue
		case "observation":
			mc.observation(c, organizer)
		}
		mc.walk(c, organizer)
	}
}

// observation reads one observation when it is a measurement.
func (mc *measureConv) observation(e, organizer *etree.Element) {
	isMeasure := false
	for _, t := range children(e, "templateId") {
		if measureTemplates[attr(t, "root")] {
			isMeasure = true
		}
	}
	if !isMeasure {
		return
	}
	code := child(e, "code")
	if attr(code, "codeSystem") != "2.16.840.1.113883.6.1" {
		return
	}
	c := attr(code, "code")
	p, ok := mappings.MeasureRoute(c)
	if !ok || mappings.IsBMI(c) {
		return
	}
	if v := child(e, "value"); v == nil || (attr(v, "value") == "" && !hasAttr(v, "nullFlavor")) {
		return // not a physical quantity: a coded or text result
	}
	mc.n++
	r := cdaReading{e: e, organizer: organizer, code: c, profile: p, at: "entry observation " + c}
	if p.Name == "bp" && (c == mappings.Systolic || c == mappings.Diastolic) {
		if mc.groupOf == nil {
			mc.groupOf = map[*etree.Element]int{}
		}
		if i, ok := mc.groupOf[organizer]; ok && organizer != nil && len(mc.pressures[i]) == 1 && mc.pressures[i][0].code != c {
			mc.pressures[i] = append(mc.pressures[i], r)
			return
		}
		mc.groupOf[organizer] = len(mc.pressures)
		mc.pressures = append(mc.pressures, []cdaReading{r})
		return
	}
	d := mc.start(r)
	d.Measurement.Value, d.Measurement.Unit = mc.value(d, r)
	mc.finish(d, r, c)
	mc.docs = append(mc.docs, d)
}

// start makes the document of reading r with its status and time.
func (mc *measureConv) start(r cdaReading) *docbridge.Document {
	d := measure.New(docbridge.FormatCDA, r.profile, r.code, mc.patient)
	sc := attr(child(r.e, "statusCode"), "code")
	st, ok := cdaStatuses[sc]
	if !ok {
		st = "unknown (statusCode " + clipText(sc, 12) + ")"
	}
	measure.Status(d, st, r.at+"/statusCode")
	if ts, ok := mc.time(r.e); ok {
		d.Measurement.Effective = ts.Value
	} else if ts, ok := mc.time(r.organizer); ok {
		d.Measurement.Effective = ts.Value
	} else {
		d.AddProblem(docbridge.MissingMetadata, docbridge.SeverityError,
			"%s: the measurement has no time (neither its effectiveTime nor its organizer's); Mon espace santé requires when it was taken", r.at)
	}
	return d
}

// time reads e's effectiveTime (@value, else low/@value).
func (mc *measureConv) time(e *etree.Element) (timestamp, bool) {
	et := child(e, "effectiveTime")
	v := attr(et, "value")
	if v == "" {
		v = attr(child(et, "low"), "value")
	}
	if v == "" {
		return timestamp{}, false
	}
	ts, err := parseTS(v, mc.loc)
	return ts, err == nil && len(ts.Value) >= len("YYYY-MM-DD")
}

// value reads, converts and checks r's PQ value.
func (mc *measureConv) value(d *docbridge.Document, r cdaReading) (string, string) {
	v := child(r.e, "value")
	raw, err := measure.Decimal(attr(v, "value"))
	switch {
	case errors.Is(err, measure.ErrNoValue):
		d.AddProblem(docbridge.MissingMetadata, docbridge.SeverityError, "%s/value: the measurement has no value", r.at)
		return "", ""
	case err != nil:
		d.AddProblem(docbridge.Malformed, docbridge.SeverityError, "%s/value/@value: %s", r.at, err)
		return "", ""
	}
	return measure.Value(d, r.profile, raw, attr(v, "unit"), r.at+"/value/@unit")
}

// pressure makes one blood pressure of a systolic and a diastolic reading.
func (mc *measureConv) pressure(g []cdaReading) *docbridge.Document {
	d := mc.start(g[0])
	measure.Pressure(d, g[0].at+" (one organizer)", g[0].at, func(code string) (string, string, bool) {
		for i := range g {
			if g[i].code == code {
				v, u := mc.value(d, g[i])
				return v, u, true
			}
		}
		return "", "", false
	})
	mc.finish(d, g[0], g[0].profile.Code.Code)
	return d
}

// finish keys the measurement: the document, the observation's id, the
// code, the time as written.
func (mc *measureConv) finish(d *docbridge.Document, r cdaReading, code string) {
	entry := ""
	if id, ok := readII(child(r.e, "id")); ok {
		entry, _ = id.uniqueID()
	}
	when := attr(child(r.e, "effectiveTime"), "value")
	if when == "" {
		when = attr(child(r.organizer, "effectiveTime"), "value")
	}
	measure.Finish(d, []string{mc.doc, entry, code, when}, mc.device)
}

func clipText(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
