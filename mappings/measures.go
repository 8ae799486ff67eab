package mappings

import (
	"errors"
	"math"
	"strconv"
	"strings"

	"github.com/docbridge/docbridge"
)

// The routing of measurements to MES's Mesures profiles (README
// "Measurements"): which LOINC codes each profile takes, the UCUM unit it
// fixes, the units converted to it, and the physiological range docbridge
// accepts. It is data, not configuration: the profiles' units are fixed by
// the implementation guide (IG "mesures" 3.x).

// TREA04 is the ANS republication of LOINC the glucose profile codes its
// LOINC codes under (LOINC itself is in system.go).
const TREA04 = "https://mos.esante.gouv.fr/NOS/TRE_A04-Loinc/FHIR/TRE-A04-Loinc"

// The LOINC codes of a blood pressure's components and of BMI.
const (
	Systolic  = "8480-6"
	Diastolic = "8462-4"
	BMI       = "39156-5"
)

// MeasureProfile is one Mesures profile: its name (docbridge.Measurement
// Profile), the id of its StructureDefinition in the current IG, the LOINC
// coding it fixes, its UCUM unit and the range of values accepted in it.
type MeasureProfile struct {
	Name     string
	ID       string // StructureDefinition id, IG 3.x
	Code     docbridge.Coding
	Unit     string
	Min, Max float64
	// Integer profiles (pain, steps) take whole numbers only.
	Integer bool
	// units converts another UCUM unit to Unit: value*factor + offset.
	units map[string]linear
}

type linear struct{ factor, offset float64 }

var identity = linear{1, 0}

// measureProfiles are the profiles docbridge sends, by name. The blood
// pressure profile has no unit of its own: its components are in mm[Hg].
var measureProfiles = map[string]*MeasureProfile{
	"body-weight": {Name: "body-weight", ID: "mesures-fr-observation-body-weight", Code: loinc("29463-7"), Unit: "kg", Min: 0.3, Max: 400,
		units: map[string]linear{"kg": identity, "g": {0.001, 0}, "[lb_av]": {0.45359237, 0}}},
	"body-height": {Name: "body-height", ID: "mesures-fr-observation-bodyheight", Code: loinc("8302-2"), Unit: "cm", Min: 20, Max: 260,
		units: map[string]linear{"cm": identity, "m": {100, 0}, "mm": {0.1, 0}, "[in_i]": {2.54, 0}}},
	"body-temperature": {Name: "body-temperature", ID: "mesures-fr-observation-body-temperature", Code: loinc("8310-5"), Unit: "Cel", Min: 25, Max: 45,
		units: map[string]linear{"Cel": identity, "[degF]": {5.0 / 9, -32 * 5.0 / 9}}},
	"bp": {Name: "bp", ID: "mesures-fr-observation-bp", Code: loinc("85354-9"), Unit: "mm[Hg]", Min: 20, Max: 300,
		units: map[string]linear{"mm[Hg]": identity, "kPa": {7.50062, 0}}},
	"heartrate": {Name: "heartrate", ID: "mesures-fr-observation-heartrate", Code: loinc("8867-4"), Unit: "/min", Min: 20, Max: 300,
		units: map[string]linear{"/min": identity, "{beats}/min": identity}},
	"oxygen-sat": {Name: "oxygen-sat", ID: "mesures-fr-observation-oxygen-sat", Code: loinc("2708-6"), Unit: "%", Min: 50, Max: 100,
		units: map[string]linear{"%": identity, "1": {100, 0}}},
	"resp-rate": {Name: "resp-rate", ID: "mesures-fr-observation-resp-rate", Code: loinc("9279-1"), Unit: "/min", Min: 2, Max: 80,
		units: map[string]linear{"/min": identity, "{breaths}/min": identity}},
	"glucose": {Name: "glucose", ID: "mesures-observation-glucose", Code: docbridge.Coding{System: TREA04, Code: "2345-7"}, Unit: "mg/dL", Min: 10, Max: 1500,
		units: map[string]linear{"mg/dL": identity, "g/L": {100, 0}, "mmol/L": {18.016, 0}}},
	"hba1c": {Name: "hba1c", ID: "mesures-observation-hb1ac", Code: loinc("4548-4"), Unit: "%", Min: 3, Max: 20,
		units: map[string]linear{"%": identity}},
	"waist-circumference": {Name: "waist-circumference", ID: "mesures-observation-waist-circumference", Code: loinc("8280-0"), Unit: "cm", Min: 30, Max: 250,
		units: map[string]linear{"cm": identity, "m": {100, 0}}},
	"head-circumference": {Name: "head-circumference", ID: "mesures-observation-head-circumference", Code: loinc("8287-5"), Unit: "cm", Min: 20, Max: 70,
		units: map[string]linear{"cm": identity}},
	"pain-severity": {Name: "pain-severity", ID: "mesures-observation-pain-severity", Code: loinc("72514-3"), Unit: "1", Min: 0, Max: 10, Integer: true,
		units: map[string]linear{"1": identity, "{score}": identity}},
	"steps-by-day": {Name: "steps-by-day", ID: "mesures-observation-steps-by-day", Code: loinc("41950-7"), Unit: "1/(24.h)", Min: 0, Max: 100000, Integer: true,
		units: map[string]linear{"1/(24.h)": identity, "/d": identity, "{steps}/d": identity}},
}

// measureRoutes maps each incoming LOINC code to its profile's name.
var measureRoutes = map[string]string{
	"29463-7": "body-weight", "3141-9": "body-weight",
	"8302-2": "body-height", "3137-7": "body-height", "8306-3": "body-height", "8308-9": "body-height",
	"8310-5": "body-temperature", "8331-1": "body-temperature", "8328-7": "body-temperature", "8332-9": "body-temperature", "8333-7": "body-temperature",
	"85354-9": "bp", "55284-4": "bp", Systolic: "bp", Diastolic: "bp",
	"8867-4": "heartrate",
	"2708-6": "oxygen-sat", "59408-5": "oxygen-sat",
	"9279-1": "resp-rate",
	"2345-7": "glucose", "2339-0": "glucose", "1558-6": "glucose", "41653-7": "glucose", "14749-6": "glucose", "15074-8": "glucose",
	"4548-4": "hba1c", "17856-6": "hba1c",
	"8280-0": "waist-circumference",
	"8287-5": "head-circumference", "9843-4": "head-circumference",
	"72514-3": "pain-severity",
	"41950-7": "steps-by-day",
}

// unitAliases are the unit spellings sources use for a UCUM code, keyed
// in lower case. A UCUM code itself is accepted as it is.
var unitAliases = map[string]string{
	"kg": "kg", "g": "g", "lb": "[lb_av]", "cm": "cm", "m": "m", "mm": "mm",
	"°c": "Cel", "c": "Cel", "degc": "Cel", "cel": "Cel", "°f": "[degF]", "degf": "[degF]",
	"mmhg": "mm[Hg]", "mm hg": "mm[Hg]", "mm[hg]": "mm[Hg]", "kpa": "kPa",
	"bpm": "/min", "batt/min": "/min", "/mn": "/min", "/min": "/min", "min-1": "/min", "{beats}/min": "{beats}/min", "{breaths}/min": "{breaths}/min",
	"%": "%", "g/l": "g/L", "mg/dl": "mg/dL", "mmol/l": "mmol/L",
	"pas/j": "1/(24.h)", "steps/d": "1/(24.h)", "1/(24.h)": "1/(24.h)", "/d": "/d",
}

func loinc(code string) docbridge.Coding { return docbridge.Coding{System: LOINC, Code: code} }

// MeasureRoute returns the profile that takes a measurement of this LOINC
// code, and false for a code no profile takes (BMI included: see IsBMI).
func MeasureRoute(code string) (MeasureProfile, bool) {
	p, ok := measureProfiles[measureRoutes[code]]
	if !ok {
		return MeasureProfile{}, false
	}
	return *p, true
}

// MeasureProfileNamed returns the profile of this name, and false for a
// name docbridge does not know.
func MeasureProfileNamed(name string) (MeasureProfile, bool) {
	p, ok := measureProfiles[name]
	if !ok {
		return MeasureProfile{}, false
	}
	return *p, true
}

// glucoseMoments are the JDV_J157 moments a glucose code implies.
var glucoseMoments = map[string]string{"1558-6": "53049-3"} // fasting

// Moment returns the measurement moment (a JDV_J157 LOINC code) the
// source's code implies for a glucose, "" when it implies none (MES's
// "other", LA46-8, is then sent).
func (p MeasureProfile) Moment(code string) string {
	if p.Name != "glucose" {
		return ""
	}
	return glucoseMoments[code]
}

// IsBMI reports whether code is the body mass index, which MES computes
// itself and refuses to be sent.
func IsBMI(code string) bool { return code == BMI }

// MeasureCanonicalBase is the canonical base of the current IG's profiles.
const MeasureCanonicalBase = "https://interop.esante.gouv.fr/ig/fhir/mesures/StructureDefinition/"

// DefaultMeasureCanonicals returns the meta.profile canonical of every
// profile, by profile name, as the current IG (3.x) has them.
func DefaultMeasureCanonicals() map[string]string {
	out := make(map[string]string, len(measureProfiles))
	for name, p := range measureProfiles {
		out[name] = MeasureCanonicalBase + p.ID
	}
	return out
}

// UCUMUnit returns the UCUM code of a unit as a source writes it (a UCUM
// code or a known alias), and false for a unit docbridge does not know.
func UCUMUnit(unit string) (string, bool) {
	u := strings.TrimSpace(unit)
	if u == "" {
		return "", false
	}
	if c, ok := unitAliases[strings.ToLower(u)]; ok {
		return c, true
	}
	for _, p := range measureProfiles {
		if _, ok := p.units[u]; ok {
			return u, true
		}
	}
	return "", false
}

// ErrUnit is returned by Convert for a unit the profile cannot take.
var ErrUnit = errors.New("unit not convertible to the profile's unit")

// Convert converts value (a decimal with '.') in the UCUM unit to the
// profile's unit and returns it as a decimal string: unchanged when the
// unit is the profile's, else rounded to two decimals (whole numbers for
// an integer profile). It returns ErrUnit when the unit is not one the
// profile converts, and a parse error for a value that is not a finite
// decimal.
func (p MeasureProfile) Convert(value, unit string) (string, error) {
	l, ok := p.units[unit]
	if !ok {
		return "", ErrUnit
	}
	v, err := strconv.ParseFloat(value, 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return "", errors.New("not a finite decimal")
	}
	if l == identity {
		return value, nil
	}
	v = v*l.factor + l.offset
	if p.Integer {
		return strconv.FormatFloat(math.Round(v), 'f', -1, 64), nil
	}
	return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64), nil
}

// InRange reports whether value (a decimal string in the profile's unit)
// lies in the profile's physiological range, and is whole for an integer
// profile.
func (p MeasureProfile) InRange(value string) bool {
	v, err := strconv.ParseFloat(value, 64)
	if err != nil || v < p.Min || v > p.Max {
		return false
	}
	return !p.Integer || v == math.Trunc(v)
}
