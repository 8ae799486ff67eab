package measure

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/mappings"
)

// New returns a measurement document of profile p for patient, created
// from format's input, with its payload started: the profile, its code,
// the source's LOINC code when it is another (not for a blood pressure,
// whose components say it), and the glucose moment code implies.
func New(format docbridge.Format, p mappings.MeasureProfile, code string, patient docbridge.Patient) *docbridge.Document {
	m := &docbridge.Measurement{Profile: p.Name, Code: p.Code, Moment: p.Moment(code)}
	if code != p.Code.Code && p.Name != "bp" {
		m.Source = &docbridge.Coding{System: mappings.LOINC, Code: code}
	}
	return &docbridge.Document{Kind: docbridge.KindMeasurement, Action: docbridge.Create,
		Format: string(format), ContentType: "application/json", Patient: patient,
		Title: "Mesure " + p.Name, Measurement: m}
}

// Value converts a reading (a canonical decimal from Decimal or
// ParseNumber) in the source's unit to the profile's unit and checks its
// range; problems go on d, naming at (where the source carries it). It
// returns "" when the value cannot be sent.
func Value(d *docbridge.Document, p mappings.MeasureProfile, value, srcUnit, at string) (converted, unit string) {
	ucum, ok := mappings.UCUMUnit(srcUnit)
	if !ok {
		d.AddProblem(docbridge.UnitNotConvertible, docbridge.SeverityError,
			"%s: the unit %q is not a UCUM unit docbridge knows; send %s in %s", at, clip(srcUnit, 16), p.Name, p.Unit)
		return "", ""
	}
	v, err := p.Convert(value, ucum)
	if err != nil {
		d.AddProblem(docbridge.UnitNotConvertible, docbridge.SeverityError,
			"%s: %s cannot be converted to %s, the unit of Mon espace santé's %s profile", at, clip(ucum, 16), p.Unit, p.Name)
		return "", ""
	}
	if !p.InRange(v) {
		d.AddProblem(docbridge.OutOfRange, docbridge.SeverityError,
			"%s: the %s value, in %s, is outside the accepted range %g–%g; check it with the source", at, p.Name, p.Unit, p.Min, p.Max)
	}
	return v, p.Unit
}

// Status records the source's status (as FHIR's observation status) on
// the measurement and its consequence on d: final goes on; corrected,
// amended and entered-in-error stop for a person (MeasurementCorrection:
// MES has no update nor delete); anything else is NotFinal.
func Status(d *docbridge.Document, status, at string) {
	d.Measurement.Status = status
	switch status {
	case "final":
	case "corrected", "amended":
		d.AddProblem(docbridge.MeasurementCorrection, docbridge.SeverityError,
			"%s: the result is a correction (%s); Mon espace santé publishes no way to change a measurement: correct it by hand in the patient's profile, then dismiss this one",
			at, status)
	case "entered-in-error":
		d.AddProblem(docbridge.MeasurementCorrection, docbridge.SeverityError,
			"%s: the source retracts the result (deleted or wrong patient); Mon espace santé publishes no way to delete a measurement: remove it by hand in the patient's profile if it was sent",
			at)
	default:
		d.AddProblem(docbridge.NotFinal, docbridge.SeverityError,
			"%s: the result is %s, not final; only final results go to Mon espace santé, the final one will when the source sends it", at, clip(status, 24))
	}
}

// Pressure fills the blood pressure d carries with its systolic and
// diastolic components, in that order. read gives a component's value
// and unit as the profile takes them, "" when the reading was refused
// (read put the problem on d), and found false when the source has no
// reading of that code: that is a MissingMetadata problem at group. When
// both values are read, a systolic not above the diastolic is an
// OutOfRange problem at values.
func Pressure(d *docbridge.Document, group, values string, read func(code string) (value, unit string, found bool)) {
	vals := map[string]float64{}
	for _, code := range []string{mappings.Systolic, mappings.Diastolic} {
		v, u, found := read(code)
		if !found {
			d.AddProblem(docbridge.MissingMetadata, docbridge.SeverityError,
				"%s: a blood pressure needs both the systolic (8480-6) and the diastolic (8462-4) pressure; %s is missing", group, code)
			continue
		}
		if v == "" {
			continue
		}
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			vals[code] = f
		}
		d.Measurement.Components = append(d.Measurement.Components,
			docbridge.MeasureComponent{Code: docbridge.Coding{System: mappings.LOINC, Code: code}, Value: v, Unit: u})
	}
	if s, ok := vals[mappings.Systolic]; ok {
		if di, ok := vals[mappings.Diastolic]; ok && s <= di {
			d.AddProblem(docbridge.OutOfRange, docbridge.SeverityError,
				"%s: the systolic pressure is not above the diastolic; check the values with the source", values)
		}
	}
}

// Finish gives d its id, the idempotency key of key's parts
// (docbridge.MeasurementID), its creation time (the measurement's) and its
// content: the canonical JSON of the measurement, which its size and
// hashes describe, what the store keeps and what tells versions apart.
func Finish(d *docbridge.Document, key []string, device string) {
	m := d.Measurement
	m.Key, m.Device = key, device
	d.UniqueID = docbridge.MeasurementID(key...)
	d.Creation = m.Effective
	b, _ := json.Marshal(m) // strings and slices of them: never fails
	d.Content = b
	d.Size = int64(len(b))
	s1, s256 := sha1.Sum(b), sha256.Sum256(b)
	d.SHA1, d.SHA256 = hex.EncodeToString(s1[:]), hex.EncodeToString(s256[:])
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
