package docbridge

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// Measurement is the payload of a Document of KindMeasurement: one health
// measurement for MES's Mesures API (docs/architecture.md §3, the README's
// "Measurements"), already routed to its MES profile and converted to the
// profile's unit. It is patient data: never log its values.
//
// The Document carrying it has UniqueID = the idempotency key
// (MeasurementID of the source key parts): a resend is the same version, a
// correction or retraction under the same key is another version.
type Measurement struct {
	// Profile is the MES profile it routes to (mappings' measure name:
	// "body-weight", "bp", "glucose", …); the canonical URL is
	// configuration (mes.measure_profiles).
	Profile string `json:"profile"`
	// Code is the LOINC code MES's profile fixes; Source the code the
	// source sent when it differs (kept as an extra coding).
	Code   Coding  `json:"code"`
	Source *Coding `json:"source,omitempty"`
	// Value is a decimal string ("71.5") in Unit, the profile's UCUM code;
	// empty for a blood pressure, which has Components.
	Value string `json:"value,omitempty"`
	Unit  string `json:"unit,omitempty"`
	// Components are a blood pressure's systolic and diastolic values.
	Components []MeasureComponent `json:"components,omitempty"`
	// Effective is when it was measured: RFC 3339 with the source's
	// offset (or the configured zone's), or YYYY-MM-DD.
	Effective string `json:"effective"`
	// Status is the source's result status as FHIR says it: "final",
	// "corrected", "amended", "entered-in-error", or "preliminary" and the
	// like. Only final is ever sent.
	Status string `json:"status"`
	// Moment is the glucose measurement moment (a JDV_J157 LOINC code),
	// empty for other profiles.
	Moment string `json:"moment,omitempty"`
	// Key are the parts of the idempotency key, in order: the sending
	// application, the order (filler/placer number or document id), the
	// code as the source sent it, the effective time as the source wrote it.
	Key []string `json:"key"`
	// Device names the source system the Device standing for it is keyed
	// by (the sending application and facility).
	Device string `json:"device"`
}

// MeasureComponent is one component of a measurement (systolic or
// diastolic pressure): a LOINC code and a decimal value in Unit.
type MeasureComponent struct {
	Code  Coding `json:"code"`
	Value string `json:"value"`
	Unit  string `json:"unit"`
}

// MeasurementIDPrefix starts the UniqueID of every measurement.
const MeasurementIDPrefix = "urn:docbridge:measure:"

// MeasurementID returns the UniqueID of the measurement whose idempotency
// key has these parts: MeasurementIDPrefix and the hex SHA-256 of the
// parts, each length-prefixed so that no two lists of parts share an id.
func MeasurementID(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%d:%s;", len(p), p)
	}
	return MeasurementIDPrefix + hex.EncodeToString(h.Sum(nil))
}
