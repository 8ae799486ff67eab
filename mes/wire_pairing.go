package mes

import (
	"net/url"
	"strings"
)

// This file holds every MES-specific detail of the pairing (appariement)
// flow. The public MES documentation gives none (spec §1.1): docbridge uses
// standard OAuth2 shapes — RFC 6749 authorization code, RFC 7636 PKCE with
// S256, RFC 7009 revocation — and a SMART-on-FHIR-like "patient" member in
// the token answer. Align these with the editors' swagger without touching
// the rest. The simulator in mes/messim implements the same choices on its
// own.

const (
	// Paths under PairingOptions.BaseURL.
	pathAuthorize = "/oauth/authorize" // the patient's browser: login + consent page
	pathToken     = "/oauth/token"     // code and refresh_token grants (form-encoded POST)
	pathRevoke    = "/oauth/revoke"    // RFC 7009 (form-encoded POST, token=…)
	pathIdentity  = "/oauth/patient"   // GET with the bearer token: the paired patient as a FHIR Patient

	// Identity resource details: the birthplace extension (FR Core's use
	// of the core patient-birthPlace extension) carries the INSEE code in
	// an address extension.
	extBirthPlace = "http://hl7.org/fhir/StructureDefinition/patient-birthPlace"
	extInseeCode  = "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-address-insee-code"
)

// authorizeURL is where the patient's browser is sent to pair.
func authorizeURL(base, clientID, redirect, scope, state, challenge string) string {
	q := url.Values{
		"response_type":         {"code"},
		"client_id":             {clientID},
		"redirect_uri":          {redirect},
		"scope":                 {scope},
		"state":                 {state},
		"code_challenge":        {challenge},
		"code_challenge_method": {"S256"},
	}
	return endpoint(base, pathAuthorize) + "?" + q.Encode()
}

func endpoint(base, path string) string { return strings.TrimRight(base, "/") + path }

// fhirPatient is the identity answer: the INS as an identifier (system the
// INS OID), the birth name and first names as the official name, birth
// date, gender (male, female, unknown) and the INSEE birthplace code.
type fhirPatient struct {
	ResourceType string `json:"resourceType"`
	ID           string `json:"id"`
	Identifier   []struct {
		System string `json:"system"`
		Value  string `json:"value"`
	} `json:"identifier"`
	Name []struct {
		Use    string   `json:"use"`
		Family string   `json:"family"`
		Given  []string `json:"given"`
	} `json:"name"`
	BirthDate string `json:"birthDate"`
	Gender    string `json:"gender"`
	Extension []struct {
		URL          string `json:"url"`
		ValueAddress *struct {
			Extension []struct {
				URL         string `json:"url"`
				ValueCoding struct {
					Code string `json:"code"`
				} `json:"valueCoding"`
			} `json:"extension"`
		} `json:"valueAddress"`
	} `json:"extension"`
}

// insOIDs are the INS identifier systems, as "urn:oid:…".
var insOIDs = map[string]bool{
	"urn:oid:1.2.250.1.213.1.4.8": true, "urn:oid:1.2.250.1.213.1.4.9": true,
	"urn:oid:1.2.250.1.213.1.4.10": true, "urn:oid:1.2.250.1.213.1.4.11": true,
}

var genders = map[string]string{"male": "M", "female": "F", "unknown": "U", "other": "U"}
