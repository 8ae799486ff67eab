package mes_test

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/docbridge/docbridge"
)

// Synthetic identities (the INS test OID; key checked: 279035121518989).
const (
	insSystem = "urn:oid:1.2.250.1.213.1.4.10"
	insA      = "279035121518989"
	insB      = "180017512345678"
)

// testDoc returns a complete document for insA around content, shaped after
// the worked example of docs/sources.md §2.
func testDoc(uniqueID string, content []byte) *docbridge.Document {
	s1 := sha1.Sum(content)
	s256 := sha256.Sum256(content)
	return &docbridge.Document{
		UniqueID:        uniqueID,
		Action:          docbridge.Create,
		Type:            docbridge.Coding{System: "http://loinc.org", Code: "11502-2", Display: "CR d'examens biologiques"},
		Class:           docbridge.Coding{System: "urn:oid:1.2.250.1.213.1.1.4.1", Code: "10", Display: "Compte rendu"},
		Title:           "Compte rendu d'examens biologiques",
		Creation:        "2021-04-01T13:47:45+01:00",
		Language:        "fr-FR",
		Confidentiality: "N",
		ContentType:     "application/pdf",
		Format:          "urn:ihe:iti:xds-sd:pdf:2008",
		Size:            int64(len(content)),
		SHA1:            hex.EncodeToString(s1[:]),
		SHA256:          hex.EncodeToString(s256[:]),
		FacilityType:    docbridge.Coding{System: "urn:oid:1.2.250.1.71.4.2.4", Code: "SA07", Display: "Cabinet individuel"},
		PracticeSetting: docbridge.Coding{System: "urn:oid:1.2.250.1.213.1.1.4.9", Code: "AMBULATOIRE", Display: "Ambulatoire"},
		ServiceStart:    "2021-01-04T13:47:00+01:00",
		ServiceStop:     "2021-01-04T13:55:00+01:00",
		Patient: docbridge.Patient{
			INS: insA, INSSystem: insSystem, BirthName: "PAT-TROIS", FirstNames: []string{"DOMINIQUE", "MARIE-LOUISE"},
			BirthDate: "1979-03-28", Sex: "F", BirthPlace: "51215",
		},
		Authors: []docbridge.Author{{
			ID: "801234534765", System: "urn:oid:1.2.250.1.71.4.2.1", Name: "Dr Biologiste Test",
			Organization: &docbridge.Organization{ID: "1120459876", System: "urn:oid:1.2.250.1.71.4.2.2", Name: "Laboratoire des charmes"},
		}},
		LegalAuthenticator: &docbridge.Author{ID: "807505123456", System: "urn:oid:1.2.250.1.71.4.2.1", Name: "Dr Signataire Test"},
		Custodian:          &docbridge.Organization{ID: "1120459876", System: "urn:oid:1.2.250.1.71.4.2.2", Name: "Laboratoire des charmes"},
		Content:            content,
	}
}

// pairingFor returns a pairing of the patient with that INS at MES.
func pairingFor(mesID, ins, token string) docbridge.Pairing {
	return docbridge.Pairing{
		ID: "pairing-" + mesID, MESPatient: mesID, AccessToken: token,
		Patient:   docbridge.Patient{INS: ins, INSSystem: insSystem, BirthName: "PAT-TROIS", FirstNames: []string{"DOMINIQUE"}, BirthDate: "1979-03-28", Sex: "F", BirthPlace: "51215"},
		CreatedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
	}
}
