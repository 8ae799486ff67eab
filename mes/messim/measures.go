package messim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
)

// The Mesures write flow, as MES's published description has it (the
// README's "Measurements"), read independently of mes/measure.go:
//
//	POST /mesures   a transaction Bundle: one Observation (POST) and one
//	                Device (POST with ifNoneExist, conditional create)
//
// It answers 200 with a transaction-response (201 for entries created, 200
// for a Device that existed and for an Observation whose identifier it
// already holds for the patient: "already there"), 403 when the subject is
// not the token's patient or the pairing does not grant the mesures scope,
// and 422 with an OperationOutcome for what MES refuses.

const (
	pathMeasures   = "/mesures"
	scopeMesures   = "mesures"
	phdDevice      = "http://hl7.org/fhir/uv/phd/StructureDefinition/PhdDevice"
	bmiCode        = "39156-5"
	momentURLSufix = "moment-of-measurement"
)

// ifNoneExistRule is MES's published pattern for a Device's ifNoneExist.
var ifNoneExistRule = regexp.MustCompile(`^identifier=urn:oid:([0-9]+(\.[0-9]+)+)\|([a-zA-Z0-9]+(-[a-zA-Z0-9]+)*)$`)

// measureUnits are the UCUM units the Mesures profiles fix, by the last
// part of their canonical (any generation: mesures-…, mes-…); bp's are
// its components'.
var measureUnits = map[string]string{
	"body-weight": "kg", "bodyheight": "cm", "body-height": "cm", "body-temperature": "Cel", "bp": "mm[Hg]",
	"heartrate": "/min", "oxygen-sat": "%", "resp-rate": "/min", "glucose": "mg/dL", "hb1ac": "%",
	"waist-circumference": "cm", "head-circumference": "cm", "pain-severity": "1", "steps-by-day": "1/(24.h)",
}

// StoredMeasurement is what the simulator holds of one Observation.
type StoredMeasurement struct {
	Location   string // "Observation/<id>"
	Patient    string // the idPe of the subject
	Identifier string // Observation.identifier value: docbridge's idempotency key
	Profile    string // meta.profile[0]
	Code       string // code.coding[0].code
	Value      string // valueQuantity.value as sent; "" for a blood pressure
	Unit       string // valueQuantity.code
	// Components are a blood pressure's: LOINC code → "value unit".
	Components map[string]string
	Effective  string
	Device     string // the Device's ifNoneExist key
	Raw        []byte // the Observation as received
	Resends    int    // how many times it came again
}

// Measurements returns a copy of every Observation the simulator holds,
// in the order they were created.
func (s *Server) Measurements() []StoredMeasurement {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]StoredMeasurement, len(s.measures))
	for i, m := range s.measures {
		out[i] = *m
	}
	return out
}

type jsonEntry struct {
	FullURL  string          `json:"fullUrl"`
	Resource json.RawMessage `json:"resource"`
	Request  *struct {
		Method      string `json:"method"`
		URL         string `json:"url"`
		IfNoneExist string `json:"ifNoneExist"`
	} `json:"request"`
}

type jsonCoding struct {
	System string `json:"system"`
	Code   string `json:"code"`
}

type jsonQuantity struct {
	Value  json.Number `json:"value"`
	Unit   string      `json:"unit"`
	System string      `json:"system"`
	Code   string      `json:"code"`
}

type jsonObservation struct {
	ResourceType string `json:"resourceType"`
	Meta         *struct {
		Profile []string `json:"profile"`
	} `json:"meta"`
	Identifier []struct {
		System string `json:"system"`
		Value  string `json:"value"`
	} `json:"identifier"`
	Status string `json:"status"`
	Code   struct {
		Coding []jsonCoding `json:"coding"`
	} `json:"code"`
	Subject *struct {
		Identifier *struct {
			System string `json:"system"`
			Value  string `json:"value"`
		} `json:"identifier"`
	} `json:"subject"`
	EffectiveDateTime string        `json:"effectiveDateTime"`
	ValueQuantity     *jsonQuantity `json:"valueQuantity"`
	Component         []struct {
		Code struct {
			Coding []jsonCoding `json:"coding"`
		} `json:"code"`
		ValueQuantity *jsonQuantity `json:"valueQuantity"`
	} `json:"component"`
	Device *struct {
		Reference string `json:"reference"`
	} `json:"device"`
	Extension []struct {
		URL string `json:"url"`
	} `json:"extension"`
}

type jsonDevice struct {
	ResourceType string `json:"resourceType"`
	ID           string `json:"id"`
	Meta         *struct {
		Profile []string `json:"profile"`
	} `json:"meta"`
}

// measure handles POST /mesures.
func (s *Server) measure(w http.ResponseWriter, r *http.Request) {
	g, p := s.authorize(r)
	if p != nil {
		s.fail(w, r, p)
		return
	}
	if g.scopes != nil && !slices.Contains(g.scopes, scopeMesures) {
		s.fail(w, r, &problem{status: http.StatusForbidden, code: "forbidden", diag: "consent not given for this write: the pairing does not grant the mesures scope"})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.o.MaxBodyBytes))
	if err != nil {
		s.fail(w, r, &problem{status: http.StatusRequestEntityTooLarge, code: "too-costly", diag: "the request body is too large"})
		return
	}
	obs, dev, devKey, rawObs, p := checkMeasureBundle(body)
	if p == nil {
		p = checkObservation(obs, dev, g.mesID)
	}
	if p != nil {
		s.fail(w, r, p)
		return
	}
	key := obs.Identifier[0].System + "|" + obs.Identifier[0].Value
	s.mu.Lock()
	devStatus := "201 Created"
	if s.devices[devKey] {
		devStatus = "200 OK"
	}
	s.devices[devKey] = true
	obsStatus := "201 Created"
	m := s.measureByKey[g.mesID+"\x00"+key]
	if m != nil {
		m.Resends++
		obsStatus = "200 OK"
	} else {
		m = storedMeasurement(obs, rawObs, devKey)
		m.Location = "Observation/" + strings.TrimPrefix(newID(), "dr-")
		s.measureByKey[g.mesID+"\x00"+key] = m
		s.measures = append(s.measures, m)
	}
	loc := m.Location
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/fhir+json")
	json.NewEncoder(w).Encode(map[string]any{
		"resourceType": "Bundle", "type": "transaction-response",
		"entry": []map[string]any{
			{"response": map[string]string{"status": devStatus, "location": "Device/" + dev.ID}},
			{"response": map[string]string{"status": obsStatus, "location": loc}},
		},
	})
}

func storedMeasurement(obs *jsonObservation, raw []byte, devKey string) *StoredMeasurement {
	m := &StoredMeasurement{Patient: obs.Subject.Identifier.Value, Identifier: obs.Identifier[0].Value,
		Profile: obs.Meta.Profile[0], Effective: obs.EffectiveDateTime, Device: devKey, Raw: raw}
	if len(obs.Code.Coding) > 0 {
		m.Code = obs.Code.Coding[0].Code
	}
	if q := obs.ValueQuantity; q != nil {
		m.Value, m.Unit = q.Value.String(), q.Code
	}
	for _, c := range obs.Component {
		if m.Components == nil {
			m.Components = map[string]string{}
		}
		if len(c.Code.Coding) > 0 && c.ValueQuantity != nil {
			m.Components[c.Code.Coding[0].Code] = c.ValueQuantity.Value.String() + " " + c.ValueQuantity.Code
		}
	}
	return m
}

// refuse is a 422 answer with MES's diagnostic.
func refuse(code, diag string) *problem {
	return &problem{status: http.StatusUnprocessableEntity, code: code, diag: diag}
}

// checkMeasureBundle checks the Bundle's shape: a transaction of POSTs of
// one Observation and one conditionally created PhdDevice it refers to.
func checkMeasureBundle(body []byte) (obs *jsonObservation, dev *jsonDevice, devKey string, rawObs []byte, p *problem) {
	var b struct {
		ResourceType string      `json:"resourceType"`
		Type         string      `json:"type"`
		Entry        []jsonEntry `json:"entry"`
	}
	if err := json.Unmarshal(body, &b); err != nil || b.ResourceType != "Bundle" {
		return nil, nil, "", nil, refuse("invalid", "the body is not a FHIR Bundle")
	}
	if b.Type != "transaction" {
		return nil, nil, "", nil, refuse("invalid", "the Bundle must be of type transaction")
	}
	for _, e := range b.Entry {
		if e.Request == nil || e.Request.Method != http.MethodPost || (e.Request.URL != "Observation" && e.Request.URL != "Device") {
			return nil, nil, "", nil, refuse("invalid", "resource type or method not accepted: only POST of Observation and Device")
		}
		switch e.Request.URL {
		case "Observation":
			if obs != nil {
				return nil, nil, "", nil, refuse("invalid", "the Bundle must contain one Observation creation")
			}
			obs = &jsonObservation{}
			if err := json.Unmarshal(e.Resource, obs); err != nil || obs.ResourceType != "Observation" {
				return nil, nil, "", nil, refuse("invalid", "the Observation entry does not hold an Observation")
			}
			if e.FullURL == "" {
				return nil, nil, "", nil, refuse("invalid", "the Observation entry needs a fullUrl")
			}
			rawObs = e.Resource
		case "Device":
			if e.Request.IfNoneExist == "" {
				return nil, nil, "", nil, refuse("invalid", "Bundle must contains one conditional creation of a device")
			}
			m := ifNoneExistRule.FindStringSubmatch(e.Request.IfNoneExist)
			if m == nil {
				return nil, nil, "", nil, refuse("invalid", "the Device's ifNoneExist is not identifier=urn:oid:<OID>|<value>")
			}
			dev = &jsonDevice{}
			if err := json.Unmarshal(e.Resource, dev); err != nil || dev.ResourceType != "Device" {
				return nil, nil, "", nil, refuse("invalid", "the Device entry does not hold a Device")
			}
			devKey = m[1] + "|" + m[3]
		}
	}
	switch {
	case obs == nil:
		return nil, nil, "", nil, refuse("invalid", "the Bundle must contain one Observation creation")
	case dev == nil:
		return nil, nil, "", nil, refuse("invalid", "Bundle must contains one conditional creation of a device")
	case dev.Meta == nil || !slices.Contains(dev.Meta.Profile, phdDevice):
		return nil, nil, "", nil, refuse("required", "Device.meta.profile is mandatory and must claim PhdDevice")
	}
	return obs, dev, devKey, rawObs, nil
}

// checkObservation applies MES's checks of the Observation: meta.profile,
// the device reference, BMI, a value, the subject (the token's patient:
// 403 otherwise), the profile's unit, the glucose moment, an identifier
// (docbridge's simulator needs it to recognise a resend).
func checkObservation(obs *jsonObservation, dev *jsonDevice, mesID string) *problem {
	if obs.Meta == nil || len(obs.Meta.Profile) == 0 {
		return refuse("required", "Observation.meta.profile is mandatory")
	}
	if obs.Device == nil || obs.Device.Reference == "" {
		return refuse("required", "Observation.device.reference is mandatory")
	}
	if obs.Device.Reference != "Device/"+dev.ID {
		return refuse("invalid", "Observation.device.reference is not linked to the Device of the Bundle by its id")
	}
	for _, c := range obs.Code.Coding {
		if c.Code == bmiCode {
			return refuse("not-supported", "Bmi observation cannot be created")
		}
	}
	profile := obs.Meta.Profile[0]
	if strings.HasSuffix(profile, "bmi") {
		return refuse("not-supported", "Bmi observation cannot be created")
	}
	if (obs.ValueQuantity == nil || obs.ValueQuantity.Value == "") && len(obs.Component) == 0 {
		return refuse("value", "value quantity not provided")
	}
	if obs.Subject == nil || obs.Subject.Identifier == nil || obs.Subject.Identifier.System == "" || obs.Subject.Identifier.Value == "" {
		return refuse("required", "subject.identifier is mandatory (the OID and idPe pair)")
	}
	if obs.Subject.Identifier.Value != mesID {
		return &problem{status: http.StatusForbidden, code: "forbidden", diag: "the subject's idPe is not the patient of the id_token"}
	}
	if len(obs.Identifier) == 0 || obs.Identifier[0].Value == "" {
		return refuse("required", "Observation.identifier is needed to recognise a measurement sent again")
	}
	if obs.EffectiveDateTime == "" {
		return refuse("required", "Observation.effective[x] is mandatory")
	}
	name := profile[strings.LastIndexByte(profile, '/')+1:]
	for _, prefix := range []string{"mesures-fr-observation-", "mesures-observation-", "mes-fr-observation-", "mes-observation-"} {
		name = strings.TrimPrefix(name, prefix)
	}
	unit, known := measureUnits[name]
	if !known {
		return refuse("invalid", fmt.Sprintf("meta.profile %s is not a Mesures profile", clipDiag(profile)))
	}
	quantities := []*jsonQuantity{obs.ValueQuantity}
	if obs.ValueQuantity == nil {
		quantities = quantities[:0]
		for _, c := range obs.Component {
			quantities = append(quantities, c.ValueQuantity)
		}
	}
	for _, q := range quantities {
		if q == nil || q.Value == "" {
			return refuse("value", "value quantity not provided")
		}
		if q.System != "http://unitsofmeasure.org" || q.Code != unit {
			return refuse("value", fmt.Sprintf("the unit of the %s profile is the UCUM code %s", name, unit))
		}
	}
	if name == "glucose" && !slices.ContainsFunc(obs.Extension, func(e struct {
		URL string `json:"url"`
	}) bool {
		return strings.HasSuffix(e.URL, momentURLSufix)
	}) {
		return refuse("required", "extension.moment is mandatory")
	}
	return nil
}

// clipDiag shortens a value quoted in a diagnostic.
func clipDiag(s string) string {
	if len(s) > 120 {
		return s[:120] + "…"
	}
	return s
}
