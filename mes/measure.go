package mes

import (
	"context"
	"crypto/sha1"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	fm "github.com/samply/golang-fhir-models/fhir-models/fhir"

	"github.com/docbridge/docbridge"
)

// The Mesures write flow (README "Measurements"): one FHIR transaction
// Bundle per measurement, holding the Observation (POST Observation) and
// the Device standing for the source system, created conditionally (POST
// Device with ifNoneExist), as MES's published flow (IHE POU PCH-01)
// describes. The path of the endpoint is not public: pathMeasures under
// the Documents API base is docbridge's choice, as the simulator's.

const (
	// pathMeasures is where the transaction Bundle is POSTed.
	pathMeasures = "/mesures"
	// DefaultSubjectSystem is the identifier system of MES's person id
	// (idPe) in Observation.subject: the one of the IG's example, since
	// the real OID is not public.
	DefaultSubjectSystem = "urn:oid:1.2.840.10004.1.1.1.0.0.1.0.0.1.2560"
	// DefaultDeviceOID keys the Device standing for a source system when
	// neither Options.DeviceOID nor SourceID is set: a UUID-based OID
	// (2.25) of docbridge's own.
	DefaultDeviceOID = "2.25.329800735698586629295641978511506172918"
	// MeasureIdentifierSystem is the system of the Observation identifier
	// carrying the measurement's idempotency key (its UniqueID).
	MeasureIdentifierSystem = "urn:ietf:rfc:3986"

	phdDevice       = "http://hl7.org/fhir/uv/phd/StructureDefinition/PhdDevice"
	ucum            = "http://unitsofmeasure.org"
	obsCategory     = "http://terminology.hl7.org/CodeSystem/observation-category"
	momentExtension = "https://interop.esante.gouv.fr/ig/fhir/mesures/StructureDefinition/mesures-moment-of-measurement"
	treA04          = "https://mos.esante.gouv.fr/NOS/TRE_A04-Loinc/FHIR/TRE-A04-Loinc"
	// glucoseOther is JDV_J157's "other" moment, sent when the source says
	// none.
	glucoseOther = "LA46-8"
)

// deviceValue keeps what MES's ifNoneExist regex allows of a device key.
var deviceValue = regexp.MustCompile(`[a-zA-Z0-9]+`)

// deliverMeasurement sends a measurement as one transaction Bundle. A
// Bundle answered with the Observation entry 200 (MES found the
// Observation's identifier, the idempotency key) is a Receipt with
// Duplicate set; 201 is a new one. The Receipt's MESID is the
// Observation's location.
func (c *Client) deliverMeasurement(ctx context.Context, d *docbridge.Document, p docbridge.Pairing) (docbridge.Receipt, error) {
	body, err := c.MeasurementBundle(d, p)
	if err != nil {
		return docbridge.Receipt{}, err
	}
	resp, answer, reqID, err := c.sendJSON(ctx, d, p, http.MethodPost, endpoint(c.base, pathMeasures), body, nil)
	switch {
	case resp == nil:
		return docbridge.Receipt{}, err
	case err != nil:
		return answered(resp, reqID), err
	}
	var tr fm.Bundle
	if err := json.Unmarshal(answer, &tr); err != nil || tr.Type != fm.BundleTypeTransactionResponse {
		return answered(resp, reqID), docbridge.Errorf(docbridge.MESUnavailable,
			"MES answered measurement %s with HTTP %d but no transaction-response Bundle; it will be sent again (MES recognises it if it was taken)", d.UniqueID, resp.StatusCode)
	}
	rc := docbridge.Receipt{Status: resp.StatusCode, RequestID: reqID}
	for _, e := range tr.Entry {
		if e.Response == nil || e.Response.Location == nil {
			continue
		}
		if loc := *e.Response.Location; strings.HasPrefix(loc, "Observation/") || strings.Contains(loc, "/Observation/") {
			rc.MESID = loc
		} else {
			continue
		}
		rc.Duplicate = strings.HasPrefix(strings.TrimSpace(e.Response.Status), "200")
	}
	if rc.MESID == "" {
		return answered(resp, reqID), docbridge.Errorf(docbridge.MESUnavailable,
			"MES's answer to measurement %s names no Observation; it will be sent again (MES recognises it if it was taken)", d.UniqueID)
	}
	return rc, nil
}

// MeasurementBundle returns the transaction Bundle that sends measurement
// d for the patient of pairing p: the Device standing for the source
// system (conditional create, PhdDevice) and the Observation, its
// meta.profile the canonical Options.MeasureCanonicals gives for its
// profile, its subject MES's person id of the pairing (never the INS), its
// identifier the UniqueID. It refuses with MissingMetadata a document that
// is not a final measurement with a value and a time, and with Internal a
// profile without a canonical.
func (c *Client) MeasurementBundle(d *docbridge.Document, p docbridge.Pairing) ([]byte, error) {
	m := d.Measurement
	switch {
	case m == nil:
		return nil, docbridge.Errorf(docbridge.MissingMetadata, "document %s is a measurement without its payload", d.UniqueID)
	case m.Status != "final":
		return nil, docbridge.Errorf(docbridge.NotFinal, "measurement %s is %s, not final: it is not sent", d.UniqueID, m.Status)
	case m.Effective == "":
		return nil, docbridge.Errorf(docbridge.MissingMetadata, "measurement %s has no time", d.UniqueID)
	case m.Value == "" && len(m.Components) == 0:
		return nil, docbridge.Errorf(docbridge.MissingMetadata, "measurement %s has no value", d.UniqueID)
	}
	canonical := c.o.MeasureCanonicals[m.Profile]
	if canonical == "" {
		return nil, docbridge.Errorf(docbridge.Internal, "no meta.profile canonical is configured for the measurement profile %q (mes.measure_profiles)", m.Profile)
	}
	devOID := strings.TrimPrefix(c.o.DeviceOID, "urn:oid:")
	if devOID == "" {
		devOID = strings.TrimPrefix(c.o.SourceID, "urn:oid:")
	}
	if devOID == "" {
		devOID = DefaultDeviceOID
	}
	devKey := "DOCBRIDGE"
	if parts := deviceValue.FindAllString(m.Device, -1); len(parts) > 0 {
		devKey += "-" + strings.Join(parts, "-")
	}
	devID := measureUUID("device|" + devOID + "|" + devKey)
	subjectSystem := c.o.SubjectSystem
	if subjectSystem == "" {
		subjectSystem = DefaultSubjectSystem
	}

	device := fm.Device{
		Id:   &devID,
		Meta: &fm.Meta{Profile: []string{phdDevice}},
		Identifier: []fm.Identifier{{
			Type:   &fm.CodeableConcept{Coding: []fm.Coding{{System: ptr("http://hl7.org/fhir/uv/phd/CodeSystem/ContinuaDeviceIdentifiers"), Code: ptr("SYSID")}}},
			System: ptr("urn:oid:" + devOID), Value: &devKey,
		}},
		Manufacturer: ptr("docbridge"),
		ModelNumber:  ptr("docbridge"),
		Type:         &fm.CodeableConcept{Coding: []fm.Coding{{System: ptr("urn:iso:std:iso:11073:10101"), Code: ptr("65573")}}},
	}
	obs := fm.Observation{
		Meta:       &fm.Meta{Profile: []string{canonical}},
		Identifier: []fm.Identifier{{System: ptr(MeasureIdentifierSystem), Value: ptr(d.UniqueID)}},
		Status:     fm.ObservationStatusFinal,
		Category:   []fm.CodeableConcept{{Coding: []fm.Coding{{System: ptr(obsCategory), Code: ptr("vital-signs")}}}},
		Code:       fm.CodeableConcept{Coding: []fm.Coding{coding(m.Code)}},
		Subject:    &fm.Reference{Identifier: &fm.Identifier{System: &subjectSystem, Value: ptr(p.MESPatient)}},
		Device:     &fm.Reference{Reference: ptr("Device/" + devID)},
	}
	if m.Source != nil {
		obs.Code.Coding = append(obs.Code.Coding, coding(*m.Source))
	}
	eff := m.Effective
	obs.EffectiveDateTime = &eff
	if m.Value != "" {
		obs.ValueQuantity = quantity(m.Value, m.Unit)
	}
	for _, comp := range m.Components {
		obs.Component = append(obs.Component, fm.ObservationComponent{
			Code: fm.CodeableConcept{Coding: []fm.Coding{coding(comp.Code)}}, ValueQuantity: quantity(comp.Value, comp.Unit)})
	}
	if m.Profile == "glucose" {
		moment := m.Moment
		if moment == "" {
			moment = glucoseOther
		}
		obs.Extension = []fm.Extension{{Url: momentExtension,
			ValueCodeableConcept: &fm.CodeableConcept{Coding: []fm.Coding{{System: ptr(treA04), Code: &moment}}}}}
	}
	devJSON, err := device.MarshalJSON()
	if err != nil {
		return nil, docbridge.Wrap(docbridge.Internal, "encode the Device", err)
	}
	obsJSON, err := obs.MarshalJSON()
	if err != nil {
		return nil, docbridge.Wrap(docbridge.Internal, "encode the Observation", err)
	}
	ifNoneExist := "identifier=urn:oid:" + devOID + "|" + devKey
	b := fm.Bundle{Type: fm.BundleTypeTransaction, Entry: []fm.BundleEntry{
		{FullUrl: ptr("urn:uuid:" + devID), Resource: devJSON,
			Request: &fm.BundleEntryRequest{Method: fm.HTTPVerbPOST, Url: "Device", IfNoneExist: &ifNoneExist}},
		{FullUrl: ptr("urn:uuid:" + measureUUID("observation|"+d.UniqueID)), Resource: obsJSON,
			Request: &fm.BundleEntryRequest{Method: fm.HTTPVerbPOST, Url: "Observation"}},
	}}
	return b.MarshalJSON()
}

func coding(c docbridge.Coding) fm.Coding {
	out := fm.Coding{System: ptr(c.System), Code: ptr(c.Code)}
	if c.Display != "" {
		out.Display = ptr(c.Display)
	}
	return out
}

// quantity is a UCUM valueQuantity; the unit shown is the UCUM code.
func quantity(value, unit string) *fm.Quantity {
	n := json.Number(value)
	return &fm.Quantity{Value: &n, Unit: ptr(unit), System: ptr(ucum), Code: ptr(unit)}
}

// measureUUID is a name-based UUID (version 5 layout over SHA-1): the same
// name always gives the same id.
func measureUUID(name string) string {
	h := sha1.Sum([]byte("docbridge:mesures:" + name))
	h[6] = h[6]&0x0f | 0x50
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}
