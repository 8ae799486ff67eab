package hl7bench

import (
	"encoding/base64"
	"strings"
)

// PDFSize is the size of the generated PDF payload, as in the spec's
// measurement (76 809 bytes, about 102 KB of base64).
const PDFSize = 76809

// PDF returns a deterministic PDF-shaped payload of PDFSize bytes: a PDF
// header, pseudo-random stream bytes (xorshift, fixed seed) and a trailer.
func PDF() []byte {
	head, tail := []byte("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Length 76700 >>\nstream\n"), []byte("\nendstream\nendobj\n%%EOF\n")
	b := make([]byte, 0, PDFSize)
	b = append(b, head...)
	x := uint64(0x9E3779B97F4A7C15)
	for len(b) < PDFSize-len(tail) {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		b = append(b, byte(x))
	}
	return append(b, tail...)
}

// Message returns the benchmark ORU^R01 (HL7 2.5, MSH-18 8859/1, CR
// segment terminators): MSH, PID with a repeating PID-3, PV1, ORC, OBR, NTE,
// three numeric OBX, an ST OBX with an escape (\T\) and an ED OBX whose
// OBX-5.5 is the base64 of PDF(). The patient is fictitious.
func Message() []byte {
	segs := []string{
		`MSH|^~\&|LIS-DB|LABO-DB^1.2.250.1.999.42^ISO|DOCBRIDGE|MES|20250114093500||ORU^R01^ORU_R01|BENCH-0001|P|2.5|||||FRA|8859/1|||2.1^CISIS_CDA_HL7_V2`,
		`PID|1||DBT-000001^^^LABO-DB&1.2.250.1.999.42.9&ISO^PI~285047505612322^^^ASIP-SANTE-INS-NIR&1.2.250.1.213.1.4.10&ISO^INS^^20101207||DOCBRIDGE-TEST^CAMILLE^CAMILLE MARIE-ANNE^^^^L||19850417|F|||1 Rue de l'Exemple^^PARIS^^75001^FRA^H~^^^^^^BDL^^75056||||||||||||||||||||N|QUAL`,
		`PV1|1|O|LABO-DB||||||||||||||||V0001^^^LABO-DB&1.2.250.1.999.42.8&ISO^VN`,
		`ORC|NW|CMD-0001^LABO-DB|DOS-0001^LABO-DB||||||20250114093000`,
		`OBR|1|CMD-0001^LABO-DB|DOS-0001^LABO-DB|11502-2^CR d'examens biologiques^LN|||20250114093000||||||||||||||||||F`,
		`NTE|1||Prélèvement réalisé à jeun`,
		`OBX|1|NM|2951-2^Sodium^LN||140|mmol/L|136-145||||F`,
		`OBX|2|NM|2823-3^Potassium^LN||4.1|mmol/L|3.5-5.1||||F`,
		`OBX|3|NM|2160-0^Créatinine^LN||72|µmol/L|45-90||||F`,
		`OBX|4|ST|8251-1^Commentaire^LN||Hémolyse \T\ lipémie absentes||||||F`,
		`OBX|5|ED|11502-2^CR d'examens biologiques^LN||^application^pdf^Base64^` + base64.StdEncoding.EncodeToString(PDF()) + `||||||F`,
	}
	return []byte(latin1(strings.Join(segs, "\r") + "\r"))
}

// latin1 writes s in ISO-8859-1, as MSH-18 says.
func latin1(s string) string {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		if r > 0xFF {
			r = '?'
		}
		b = append(b, byte(r))
	}
	return string(b)
}
