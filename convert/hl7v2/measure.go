package hl7v2

import (
	"errors"
	"fmt"
	"strings"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/convert/internal/measure"
	"github.com/docbridge/docbridge/hl7"
	"github.com/docbridge/docbridge/mappings"
)

// numOBX is one numeric OBX (OBX-2 NM or SN) with a LOINC code MES routes,
// and the OBR it belongs to.
type numOBX struct {
	seq     int // occurrence of OBX, 1-based
	seg     hl7.Segment
	obr     hl7.Segment // the OBR before it; zero when none
	code    string      // the LOINC code as sent
	profile mappings.MeasureProfile
}

func (o numOBX) at(field int) string { return ref("OBX", o.seq, field, 0) }

// loincSystems are the OBX-3 coding systems (CWE.3, CWE.6) that mean LOINC.
var loincSystems = map[string]bool{"LN": true, "LOINC": true, "2.16.840.1.113883.6.1": true}

// loincCode returns the LOINC code of OBX-3: CWE.1 when CWE.3 says LOINC,
// else CWE.4 when CWE.6 does.
func loincCode(v hl7.Value) string {
	if loincSystems[strings.ToUpper(v.Comp(3).Text())] {
		return v.Comp(1).Text()
	}
	if loincSystems[strings.ToUpper(v.Comp(6).Text())] {
		return v.Comp(4).Text()
	}
	return ""
}

// numericOBXs returns the numeric OBX of the message that MES's profiles
// take, with the OBR each belongs to, and a warning for each BMI, which MES
// computes and docbridge never sends. Numeric results no profile takes
// (most of a lab's) are not measurements and are left alone.
func (c *conv) numericOBXs() (obxs []numOBX, warnings []string) {
	var obr hl7.Segment
	seq := 0
	for _, seg := range c.msg.Segments() {
		switch {
		case seg.Is("OBR"):
			obr = seg
			continue
		case !seg.Is("OBX"):
			continue
		}
		seq++
		typ := strings.ToUpper(seg.Field(2).Text())
		if typ != "NM" && typ != "SN" {
			continue
		}
		code := loincCode(seg.Field(3))
		if mappings.IsBMI(code) {
			warnings = append(warnings, ref("OBX", seq, 3, 0)+": the body mass index is computed by Mon espace santé from weight and height; docbridge never sends it")
			continue
		}
		p, ok := mappings.MeasureRoute(code)
		if !ok {
			continue
		}
		obxs = append(obxs, numOBX{seq: seq, seg: seg, obr: obr, code: code, profile: p})
	}
	return obxs, warnings
}

// measurements converts the numeric OBX MES's profiles take into
// measurement documents (docbridge.KindMeasurement), a blood pressure's
// systolic and diastolic OBX into one. Problems of one measurement are on
// its document; warnings go on every one.
func (c *conv) measurements() []*docbridge.Document {
	obxs, warnings := c.numericOBXs()
	var docs []*docbridge.Document
	var pressures []numOBX
	for _, o := range obxs {
		if o.profile.Name == "bp" && (o.code == mappings.Systolic || o.code == mappings.Diastolic) {
			pressures = append(pressures, o)
			continue
		}
		docs = append(docs, c.measurement([]numOBX{o}))
	}
	for _, group := range groupPressures(pressures) {
		docs = append(docs, c.measurement(group))
	}
	for _, d := range docs {
		for _, w := range warnings {
			d.AddProblem(docbridge.UnsupportedFormat, docbridge.SeverityWarning, "%s", w)
		}
	}
	return docs
}

// groupPressures pairs systolic and diastolic OBX: those of one OBR with
// the same OBX-4 sub-ID, or, without sub-IDs, with the same OBX-14. A
// group of one is returned alone (an incomplete blood pressure).
func groupPressures(obxs []numOBX) [][]numOBX {
	type key struct{ obr, sub string }
	var order []key
	groups := map[key][]numOBX{}
	for _, o := range obxs {
		sub := o.seg.Field(4).Text()
		if sub == "" {
			sub = "time:" + o.seg.Field(14).Comp(1).Text()
		}
		k := key{string(o.obr.Raw()), sub}
		if g := groups[k]; len(g) == 1 && g[0].code != o.code {
			groups[k] = append(g, o)
			continue
		} else if len(g) > 0 {
			k.sub += fmt.Sprintf("#%d", o.seq) // a second systolic: its own group
		}
		order = append(order, k)
		groups[k] = []numOBX{o}
	}
	out := make([][]numOBX, len(order))
	for i, k := range order {
		out[i] = groups[k]
	}
	return out
}

// obxStatuses maps OBX-11 to the FHIR observation status (v2-to-fhir).
var obxStatuses = map[string]string{
	"F": "final", "C": "corrected", "A": "amended", "D": "entered-in-error", "W": "entered-in-error",
	"P": "preliminary", "R": "preliminary", "I": "registered", "S": "preliminary", "O": "registered",
	"N": "cancelled", "X": "cancelled", "U": "final", "B": "cancelled", "V": "final",
}

// measurement builds the document of one measurement: one OBX, or a
// systolic and a diastolic OBX for a blood pressure.
func (c *conv) measurement(group []numOBX) *docbridge.Document {
	first := group[0]
	p := first.profile
	d := measure.New(docbridge.FormatHL7v2, p, first.code, docbridge.Patient{})
	d.Patient = patient(c.msg, d.AddProblem)
	m := d.Measurement

	// Status: the least final of the group's.
	status, at := "final", first.at(11)
	for _, o := range group {
		raw := strings.ToUpper(o.seg.Field(11).Text())
		st, ok := obxStatuses[raw]
		switch {
		case !ok:
			st = "unknown (OBX-11 " + clip(raw, 4) + ")"
		case st == "final":
			continue
		}
		if status == "final" || st == "corrected" || st == "amended" || st == "entered-in-error" {
			status, at = st, o.at(11)
		}
	}
	measure.Status(d, status, at)

	// Time: OBX-14, else the OBR's observation time (OBR-7).
	when, whenAt := first.seg.Field(14).Comp(1).Text(), first.at(14)
	if when == "" && first.obr.Raw() != nil {
		when, whenAt = first.obr.Field(7).Comp(1).Text(), "OBR-7"
	}
	if when == "" {
		d.AddProblem(docbridge.MissingMetadata, docbridge.SeverityError,
			"%s: the measurement has no time (neither OBX-14 nor OBR-7); Mon espace santé requires when it was taken", first.at(14))
	} else if t, err := parseDTM(when, c.loc); err != nil {
		d.AddProblem(docbridge.MissingMetadata, docbridge.SeverityError, "%s: the measurement time is %s", whenAt, err)
	} else {
		m.Effective = t.Value
	}

	// Values.
	if p.Name == "bp" {
		c.pressure(d, group)
	} else {
		m.Value, m.Unit = c.value(d, first)
	}

	app, fac := c.h.SendingApplication.Comp(1).Text(), c.h.SendingFacility.Comp(1).Text()
	order := ""
	if first.obr.Raw() != nil {
		order = first.obr.Field(3).Comp(1).Text()
		if order == "" {
			order = first.obr.Field(2).Comp(1).Text()
		}
	}
	keyCode := first.code
	if p.Name == "bp" {
		keyCode = p.Code.Code
	}
	measure.Finish(d, []string{app + "^" + fac, order, keyCode, when}, app+"^"+fac)
	return d
}

// value reads, converts and checks one OBX's value; problems go on d.
func (c *conv) value(d *docbridge.Document, o numOBX) (value, unit string) {
	var sn []string
	if strings.EqualFold(o.seg.Field(2).Text(), "SN") {
		v := o.seg.Field(5)
		sn = []string{v.Comp(1).Text(), v.Comp(2).Text(), v.Comp(3).Text(), v.Comp(4).Text()}
	}
	raw, err := measure.ParseNumber(o.seg.Field(5).Text(), sn)
	switch {
	case errors.Is(err, measure.ErrNoValue):
		d.AddProblem(docbridge.MissingMetadata, docbridge.SeverityError, "%s: the measurement has no value", o.at(5))
		return "", ""
	case err != nil:
		d.AddProblem(docbridge.Malformed, docbridge.SeverityError, "%s: %s; Mon espace santé takes one plain number", o.at(5), err)
		return "", ""
	}
	return measure.Value(d, o.profile, raw, o.seg.Field(6).Comp(1).Text(), o.at(6))
}

// pressure fills a blood pressure's components from its systolic and
// diastolic OBX; problems go on d.
func (c *conv) pressure(d *docbridge.Document, group []numOBX) {
	measure.Pressure(d, group[0].at(3), group[0].at(5), func(code string) (string, string, bool) {
		for i := range group {
			if group[i].code == code {
				v, u := c.value(d, group[i])
				return v, u, true
			}
		}
		return "", "", false
	})
}
