package mes

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/docbridge/docbridge"
)

// This file holds every detail of the wire that is specific to MES and not
// public (docs/sources.md §1): paths, header names, the
// duplicate signal and the delete request of the mes-api profile, and the
// choices docbridge made where PDSm leaves room (the pdsm-iti65 profile, at
// the end). Align it with the editors' swagger (editeurs.monespacesante.fr)
// without touching the rest. The simulator in mes/messim implements the
// same choices on its own.

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
	case strings.HasPrefix(code, "urn:asip:"), strings.HasPrefix(code, "urn:ans:"), strings.HasPrefix(code, "urn:asipSante:"):
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

// The pdsm-iti65 profile (PDSm 3.1.1 on IHE MHD 4.2, spec §1.2). What PDSm
// fixes is followed as written; where it leaves a choice, docbridge chose:
//
//   - ITI-65 is POSTed to the FHIR base, Options.BaseURL with a trailing
//     slash, as application/fhir+json. The bundle's entries are, in this
//     order: the SubmissionSet List, for a replacement the FHIRPath Patch
//     that supersedes the replaced DocumentReference (MHD's
//     UpdateDocumentRefs slice), the DocumentReference, and last the Binary,
//     whose data is streamed. fullUrls are name-based UUIDs derived from the
//     document (uniqueId, SHA-1, action), so that the same document always
//     makes the same bundle apart from its submission time, and the
//     SubmissionSet's uniqueId is the OID form (2.25.<uuid>) of one of them:
//     a resend is recognisably the same submission.
//   - The replaced DocumentReference is named by its masterIdentifier, not
//     by its MES id (docbridge's Documents do not carry the MES id of the
//     version they replace, and a business identifier survives a MES id
//     change): relatesTo.target is the conditional reference
//     DocumentReference?identifier=<system>|<value> together with the same
//     identifier, and the Patch entry's request is PATCH on that conditional
//     URL, which PDSm requires MES to support (st_maj.md, "conditional
//     Patch").
//   - The subject, of the List and the DocumentReference, is the paired
//     patient at MES with the INS as identifier, as in mes-api; authors,
//     authenticator, custodian and sourcePatientInfo are contained resources
//     (MHD comprehensive). The SubmissionSet's author (List.source) is the
//     document's first author, its designationType the document's facility
//     type (TRE_R02 or TRE_A00, both in JDV_J03) and its ihe-sourceId
//     Options.SourceID.
//   - A delete is PDSm's logical deletion (st_maj.md): PATCH
//     [base]/DocumentReference?identifier=<system>|<value> with a FHIRPath
//     Patch setting status to superseded and adding the extension
//     pdsm-ext-is-deleted = true. PDSm has no physical delete, and
//     entered-in-error is not to be used. PDSm answers 404 both for an
//     unknown identifier and for one already deleted: docbridge reads a 404
//     with an OperationOutcome of code not-found as "nothing live has this
//     id any more", a duplicate delete, so that a resend after a crash
//     completes.
//   - The answer to ITI-65 is a transaction-response; the MES id is read
//     from the DocumentReference entry's response.location. A resend is
//     recognised by the header X-MES-Duplicate: true or by that entry's
//     status 200 (nothing created).
//   - ITI-67 is GET [base]/DocumentReference with patient.identifier=<INS
//     system>|<INS> and status (both required by PDSm), plus identifier and
//     type when asked; ITI-68 is a GET of the attachment URL the search gave,
//     only on the base URL's host (the bearer token goes nowhere else).
const (
	profileProvideBundle   = "https://interop.esante.gouv.fr/ig/fhir/pdsm/StructureDefinition/pdsm-comprehensive-provide-document-bundle"
	profileSubmissionSet   = "https://interop.esante.gouv.fr/ig/fhir/pdsm/StructureDefinition/pdsm-submissionset-comprehensive"
	profileComprehensiveDR = "https://interop.esante.gouv.fr/ig/fhir/pdsm/StructureDefinition/pdsm-comprehensive-document-reference"
	profilePatchParameters = "https://profiles.ihe.net/ITI/MHD/StructureDefinition/IHE.MHD.Patch.Parameters"

	extDesignationType = "https://profiles.ihe.net/ITI/MHD/StructureDefinition/ihe-designationType"
	extSourceID        = "https://profiles.ihe.net/ITI/MHD/StructureDefinition/ihe-sourceId"
	extIsDeleted       = "https://interop.esante.gouv.fr/ig/fhir/pdsm/StructureDefinition/pdsm-ext-is-deleted"

	// systemMHDListTypes codes the List as a SubmissionSet.
	systemMHDListTypes = "https://profiles.ihe.net/ITI/MHD/CodeSystem/MHDlistTypes"

	// Patient traits in the contained sourcePatientInfo (FR Core; the
	// birthplace extensions are in wire_pairing.go).
	extBirthListGiven = "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-patient-birth-list-given-name"
	systemCommune     = "https://mos.esante.gouv.fr/NOS/TRE_R13-CommuneOM/FHIR/TRE-R13-CommuneOM"

	// placeholderSourceID is the SubmissionSet sourceId of a bundle written
	// without a configured one (docbridge inspect --wire): the OID of the
	// nil UUID.
	placeholderSourceID = "2.25.0"
)

// bundleURL is where an ITI-65 transaction is POSTed.
func bundleURL(base string) string { return strings.TrimRight(base, "/") + "/" }

// conditionalURL is the DocumentReference whose masterIdentifier is
// uniqueID, as a conditional reference or request URL relative to the base.
func conditionalURL(uniqueID string) string {
	id := uniqueIdentifier(uniqueID)
	return strings.TrimPrefix(pathDocumentReference, "/") + "?" + url.Values{"identifier": {id.System + "|" + id.Value}}.Encode()
}

// patchURL is the conditional PATCH that deletes the document uniqueID.
func patchURL(base, uniqueID string) string {
	return strings.TrimRight(base, "/") + "/" + conditionalURL(uniqueID)
}

// isDuplicateEntry reports whether a transaction-response entry's status
// says the resource already existed.
func isDuplicateEntry(status string) bool {
	code, _, _ := strings.Cut(strings.TrimSpace(status), " ")
	return code == "200"
}

// searchURL is the first page of a search of a patient's documents:
// mes-api's patient:identifier and _count (its parameters in common with
// PDSm, spec §0; the rest of the query is applied to the answer), or
// pdsm-iti65's ITI-67 patient.identifier and status (both required by
// PDSm), identifier, type and _count.
func searchURL(base, profile string, pt docbridge.Patient, q SearchQuery) string {
	ins := oidURI(pt.INSSystem) + "|" + pt.INS
	v := url.Values{"_count": {strconv.Itoa(q.PageSize)}}
	if profile != ProfilePDSm {
		v.Set("patient:identifier", ins)
		return documentURL(base) + "?" + v.Encode()
	}
	v.Set("patient.identifier", ins)
	v.Set("status", strings.Join(q.Status, ","))
	if q.UniqueID != "" {
		id := uniqueIdentifier(q.UniqueID)
		v.Set("identifier", id.System+"|"+id.Value)
	}
	if q.Type.Code != "" {
		v.Set("type", oidURI(q.Type.System)+"|"+q.Type.Code)
	}
	return documentURL(base) + "?" + v.Encode()
}
