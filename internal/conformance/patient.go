package conformance

import "github.com/docbridge/docbridge"

// SimulatorPatient is the synthetic test patient the command registers with
// docbridge's simulator (an INS under the test OID, with a valid key): the
// patient the book pairs and files documents for there. Against a MES test
// environment the patient is whoever the editor logs in as; their identity
// is read from MES.
var SimulatorPatient = docbridge.Patient{
	INS: "192076912345621", INSSystem: "urn:oid:1.2.250.1.213.1.4.10",
	BirthName: "CONFORMITE-ESSAI", FirstNames: []string{"ALEXIS", "JEAN-MARIE"},
	BirthDate: "1992-07-14", Sex: "M", BirthPlace: "69123",
}

// SimulatorPatientID is SimulatorPatient's id at the simulator.
const SimulatorPatientID = "mes-conformance-0001"
