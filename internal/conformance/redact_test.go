package conformance

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Secrets of the redaction tests: what must never reach a report.
const (
	tokA      = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	tokB      = "tok-refresh-60303ae22b998861bce3b28f33eec1be758a213c"
	authCode  = "code-4b227777d4dd1fc61c6f884f48641d02b4d121d3fd328cb08b5531fcacdabf8a"
	verifier  = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	unknownIN = "280017512345694" // an INS the Redactor was never told of
)

func TestRedaction(t *testing.T) {
	secrets := []string{tokA, tokB, authCode, verifier, unknownIN, testPatient.INS, testPatient.BirthName,
		"ALEXIS", "JEAN-MARIE", "JEAN", "MARIE", testPatient.BirthDate, "19920714", testPatient.BirthPlace}
	content := "%PDF-1.4 compte rendu de CONFORMITE-ESSAI ALEXIS né le 14/07/1992"
	tests := []struct {
		name string
		rec  *record
	}{{
		name: "bearer token in a header, learned from it",
		rec:  rec("GET", "http://mes/oauth/patient", http.Header{"Authorization": {"Bearer " + tokA}}, "", "", 200, nil, ""),
	}, {
		name: "token in a query and a custom header",
		rec:  rec("GET", "http://mes/x?access_token="+tokA+"&code="+authCode, http.Header{"X-Debug": {"t=" + tokA}}, "", "", 200, nil, ""),
	}, {
		name: "token, code and verifier in a form",
		rec: rec("POST", "http://mes/oauth/token", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}},
			"application/x-www-form-urlencoded", "grant_type=authorization_code&code="+authCode+"&code_verifier="+verifier+"&refresh_token="+tokB, 200, nil, ""),
	}, {
		name: "tokens in a JSON answer",
		rec: rec("POST", "http://mes/oauth/token", nil, "", "", 200, http.Header{"Content-Type": {"application/json"}},
			`{"access_token":"`+tokA+`","refresh_token":"`+tokB+`","token_type":"Bearer"}`),
	}, {
		name: "a FHIR Patient in a JSON answer",
		rec: rec("GET", "http://mes/oauth/patient", nil, "", "", 200, http.Header{"Content-Type": {"application/fhir+json"}},
			`{"resourceType":"Patient","identifier":[{"system":"urn:oid:1.2.250.1.213.1.4.10","value":"`+unknownIN+`"}],`+
				`"name":[{"family":"CONFORMITE-ESSAI","given":["ALEXIS","JEAN-MARIE"]}],"birthDate":"1992-07-14"}`),
	}, {
		name: "INS in a search query, escaped",
		rec:  rec("GET", "http://mes/DocumentReference?patient:identifier=urn%3Aoid%3A1.2.250.1.213.1.4.10%7C"+testPatient.INS, nil, "", "", 200, nil, ""),
	}, {
		name: "content and subject in a DocumentReference",
		rec: rec("POST", "http://mes/DocumentReference", http.Header{"Content-Type": {"application/fhir+json"}}, "application/fhir+json",
			`{"resourceType":"DocumentReference","subject":{"identifier":{"system":"urn:oid:1.2.250.1.213.1.4.10","value":"`+testPatient.INS+`"}},`+
				`"content":[{"attachment":{"data":"`+base64.StdEncoding.EncodeToString([]byte(content))+`"}}]}`, 201, nil, ""),
	}, {
		name: "names and INS in an XML body",
		rec: rec("POST", "http://mes/", http.Header{"Content-Type": {"application/xml"}}, "application/xml",
			`<patient><id root="1.2.250.1.213.1.4.10" extension="`+testPatient.INS+`"/><name><family>Conformite-Essai</family><given>Alexis</given></name>`+
				`<birthTime value="19920714"/><birthplace code="69123"/></patient>`, 200, nil, ""),
	}, {
		name: "patient data echoed in an OperationOutcome",
		rec: rec("POST", "http://mes/DocumentReference", nil, "", "", 422, http.Header{"Content-Type": {"application/fhir+json"}},
			`{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"value","diagnostics":"patient ALEXIS CONFORMITE-ESSAI, INS `+unknownIN+`"}]}`),
	}, {
		name: "code in a redirect, cookies",
		rec: rec("POST", "http://mes/oauth/authorize", http.Header{"Cookie": {"mes_csrf=" + tokB}}, "", "", 303,
			http.Header{"Location": {"http://docbridge/callback?code=" + authCode + "&state=s"}, "Set-Cookie": {"sid=" + tokA + "; Path=/"}}, ""),
	}, {
		name: "a retrieved document",
		rec:  rec("GET", "http://mes/Binary/1", nil, "", "", 200, http.Header{"Content-Type": {"application/pdf"}}, content),
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			red := NewRedactor()
			red.Patient(testPatient)
			red.learn(tt.rec)
			rep := &Report{Results: []Result{{ID: "x", Actual: "diagnostic : " + unknownIN, Exchanges: []Exchange{red.exchange(tt.rec)}}}}
			rep.Results[0].Actual = red.Text(rep.Results[0].Actual)
			js, err := json.Marshal(rep)
			if err != nil {
				t.Fatal(err)
			}
			page, err := rep.HTML()
			if err != nil {
				t.Fatal(err)
			}
			for _, out := range []string{string(js), string(page)} {
				low := strings.ToLower(out)
				for _, s := range secrets {
					if strings.Contains(low, strings.ToLower(s)) {
						t.Errorf("the report holds %q", s)
					}
				}
				if strings.Contains(out, "PDF-1.4") || strings.Contains(out, base64.StdEncoding.EncodeToString([]byte(content))[:20]) {
					t.Error("the report holds the document's content")
				}
			}
			if !strings.Contains(string(js), "masqué") {
				t.Error("nothing was masked")
			}
		})
	}
}

// TestRedactionLearnsAcrossExchanges: a token first seen in one answer is
// masked in another exchange of the run, even one recorded before.
func TestRedactionLearnsAcrossExchanges(t *testing.T) {
	before := rec("GET", "http://mes/debug?t="+tokA, http.Header{"X-Trace": {tokA}}, "", "", 200, nil, "")
	grant := rec("POST", "http://mes/oauth/token", nil, "", "", 200, http.Header{"Content-Type": {"application/json"}}, `{"access_token":"`+tokA+`"}`)
	red := NewRedactor()
	for _, r := range []*record{before, grant} {
		red.learn(r)
	}
	e := red.exchange(before)
	if strings.Contains(e.URL, tokA) || strings.Contains(e.RequestHeaders[0].Value, tokA) {
		t.Errorf("the earlier exchange shows the token: %s %v", e.URL, e.RequestHeaders)
	}
}

// TestRedactionKeepsEvidence: what is not secret stays readable.
func TestRedactionKeepsEvidence(t *testing.T) {
	red := NewRedactor()
	red.Patient(testPatient)
	r := rec("POST", "http://mes/DocumentReference", http.Header{"Authorization": {"Bearer " + tokA}}, "application/fhir+json",
		`{"resourceType":"DocumentReference","type":{"coding":[{"system":"http://loinc.org","code":"11502-2"}]}}`, 422,
		http.Header{"Content-Type": {"application/fhir+json"}, "Retry-After": {"1"}}, `{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"code-invalid"}]}`)
	red.learn(r)
	e := red.exchange(r)
	for _, want := range []string{"11502-2", "code-invalid", "http://mes/DocumentReference"} {
		if !strings.Contains(e.RequestBody+e.ResponseBody+e.URL, want) {
			t.Errorf("the exchange lost %q", want)
		}
	}
	if got, want := e.RequestHeaders[0], (Header{"Authorization", "Bearer [masqué]"}); got != want {
		t.Errorf("Authorization shown as %v, want %v", got, want)
	}
}

// rec builds a raw record.
func rec(method, url string, reqHead http.Header, reqType, reqBody string, status int, respHead http.Header, respBody string) *record {
	if reqHead == nil {
		reqHead = http.Header{}
	}
	if reqType != "" {
		reqHead.Set("Content-Type", reqType)
	}
	if respHead == nil {
		respHead = http.Header{}
	}
	c := &capture{}
	c.Write([]byte(reqBody))
	return &record{started: time.Unix(0, 0), method: method, url: url, reqHead: reqHead, reqBody: c,
		status: status, respHead: respHead, respBody: []byte(respBody), respSize: int64(len(respBody))}
}
