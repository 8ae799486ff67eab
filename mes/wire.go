package mes

import (
	"net/http"
	"net/url"
	"strings"
)

// This file holds every detail of the mes-api wire profile that is specific
// to MES and not public (spec/mes-pdsm-cda-ins.md §0, §10 q2): paths, header
// names, the duplicate signal and the delete request. Align it with the
// editors' swagger (editeurs.monespacesante.fr) without touching the rest.
// The simulator in mes/mestest implements the same choices on its own.

const (
	// pathDocumentReference is the Documents API resource path under
	// Options.BaseURL.
	pathDocumentReference = "/DocumentReference"

	// mediaFHIRJSON is the request and accepted response media type.
	mediaFHIRJSON = "application/fhir+json"

	// headerRequestID carries a random id per request; MES's own request id,
	// when it answers with this header, goes into the Receipt.
	headerRequestID = "X-Request-Id"

	// headerDuplicate is the simulator's "already have it" signal on a 200
	// answer. The real MES signal is unknown; an OperationOutcome with an
	// issue of code "duplicate" and severity information or warning on a
	// 2xx is accepted as well.
	headerDuplicate = "X-MES-Duplicate"

	// preferMinimal asks MES not to echo the (big) resource back; the id is
	// then read from Location.
	preferMinimal = "return=minimal"

	// profileSimplifiedPublish is the closest public profile of MES's inline
	// DocumentReference: PDSm ITI-105 simplified publish.
	profileSimplifiedPublish = "https://interop.esante.gouv.fr/ig/fhir/pdsm/StructureDefinition/pdsm-simplified-publish"

	// systemURI is the masterIdentifier (and relatesTo target) system for a
	// uniqueId given as "urn:oid:…" or "urn:uuid:…".
	systemURI = "urn:ietf:rfc:3986"

	// systemConfidentiality is the securityLabel system for JDV_J08 codes
	// N, R, V (spec §10 q7: PDSm examples use TRE_A07 instead; MES unknown).
	systemConfidentiality = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"

	// Format code systems: TRE_A11 IheFormatCode and TRE_A06
	// FormatCodeComplementaire.
	systemIHEFormat    = "urn:oid:1.3.6.1.4.1.19376.1.2.3"
	systemASIPFormat   = "urn:oid:1.2.250.1.213.1.1.4.2.282"
	placeholderSubject = "Patient/PLACEHOLDER-no-pairing"
)

// documentURL is where a new DocumentReference is POSTed.
func documentURL(base string) string {
	return strings.TrimRight(base, "/") + pathDocumentReference
}

// deleteURL is the request that deletes the document with this uniqueId.
//
// MES-specific: PDSm has no physical delete (a DMP delete is a PATCH of
// status), and the public description of the MES Documents API lists no
// delete flow. docbridge sends a conditional delete on the business
// identifier, DELETE [base]/DocumentReference?identifier=urn:ietf:rfc:3986|<uniqueId>;
// align it with the editors' swagger.
func deleteURL(base, uniqueID string) string {
	id := uniqueIdentifier(uniqueID)
	q := url.Values{"identifier": {id.System + "|" + id.Value}}
	return documentURL(base) + "?" + q.Encode()
}

// formatSystem returns the code system of a formatCode value.
func formatSystem(code string) string {
	switch {
	case strings.HasPrefix(code, "urn:ihe:"):
		return systemIHEFormat
	case strings.HasPrefix(code, "urn:asip:"), strings.HasPrefix(code, "urn:ans:"):
		return systemASIPFormat
	}
	return ""
}

// setHeaders sets the headers every Documents API request carries.
func setHeaders(h http.Header, token, requestID, userAgent string) {
	h.Set("Authorization", "Bearer "+token)
	h.Set("Accept", mediaFHIRJSON)
	h.Set(headerRequestID, requestID)
	h.Set("User-Agent", userAgent)
}

// isDuplicateHeader reports whether a response carries the duplicate signal.
func isDuplicateHeader(h http.Header) bool {
	return strings.EqualFold(strings.TrimSpace(h.Get(headerDuplicate)), "true")
}

// revokedIssueCodes are the OperationOutcome issue codes that, on a 401 or
// 403, say that the token or the pairing is gone rather than that this
// document is refused.
var revokedIssueCodes = map[string]bool{"expired": true, "security": true, "login": true}
