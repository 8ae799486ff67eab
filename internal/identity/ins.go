package identity

import (
	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/traits"
)

// INS OIDs (spec §5.2), as "urn:oid:" URIs; their home is traits.
const (
	OIDNIR     = "urn:oid:" + traits.OIDNIR
	OIDNIA     = "urn:oid:" + traits.OIDNIA
	OIDNIRTest = "urn:oid:" + traits.OIDNIRTest
	OIDNIRDemo = "urn:oid:" + traits.OIDNIRDemo
)

// Environment says which INS OIDs are acceptable.
type Environment string

// Environments: production accepts only NIR and NIA; test also accepts the
// test and demo OIDs.
const (
	Production Environment = "production"
	Test       Environment = "test"
)

// CheckINS checks an INS value and its system. It returns nil, or an
// *docbridge.Error with INSInvalid (length, characters, unknown OID, check
// key) or INSTestOID (a test or demo OID in production). When both the
// system and the value are wrong, the value's problem is returned: it is the
// one a person must fix at the source.
func CheckINS(ins, system string, env Environment) error {
	if err := checkValue(ins); err != nil {
		return err
	}
	return checkSystem(system, env)
}

func checkSystem(system string, env Environment) error {
	switch traits.OID(system) {
	case OIDNIR, OIDNIA:
	case OIDNIRTest, OIDNIRDemo:
		if env != Test {
			return docbridge.Errorf(docbridge.INSTestOID, "the INS uses a test or demo OID (%s), refused in production", traits.OID(system))
		}
	default:
		return docbridge.Errorf(docbridge.INSInvalid, "the INS system %q is not an INS OID (NIR 1.2.250.1.213.1.4.8 or NIA …4.9)", system)
	}
	return nil
}

func checkValue(ins string) error {
	if len(ins) != 15 {
		return docbridge.Errorf(docbridge.INSInvalid, "the INS has %d characters, want 15", len(ins))
	}
	if !traits.ValidINSKey(ins) {
		return docbridge.Errorf(docbridge.INSInvalid, "the INS check key is wrong: correct the INS at the source (a mistyped digit?)")
	}
	return nil
}
