package messim

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestAppointmentChecks: the Agenda API refuses what the GAP profile and
// the R4 invariants forbid, and another patient's appointment.
func TestAppointmentChecks(t *testing.T) {
	s, ts := NewTestServer(t, Options{})
	token := s.AddPatient("mes-1", "279035121518989", "1.2.250.1.213.1.4.10")
	const good = `{"resourceType":"Appointment","meta":{"profile":["` + gapAppointment + `"]},
"identifier":[{"system":"urn:oid:1.2.3","value":"A1"}],"status":"booked",
"start":"2026-07-19T11:30:00+02:00","end":"2026-07-19T12:00:00+02:00","minutesDuration":30,
"participant":[{"actor":{"identifier":{"system":"` + mesPatientSystem + `","value":"mes-1"}},"required":"required","status":"accepted"},
{"actor":{"display":"Dr X"},"status":"accepted"}]}`
	tests := []struct {
		name       string
		old, new   string
		method     string
		want       int
		wantIssues string
	}{
		{"valid", "", "", http.MethodPost, 201, ""},
		{"resend without If-None-Exist", "", "", http.MethodPost, 409, "conditional PUT"},
		{"no profile", `"meta":{"profile":["` + gapAppointment + `"]},`, "", http.MethodPost, 422, "meta.profile"},
		{"no identifier", `"identifier":[{"system":"urn:oid:1.2.3","value":"A1"}],`, "", http.MethodPost, 422, "identifier"},
		{"app-2", `,"end":"2026-07-19T12:00:00+02:00"`, "", http.MethodPost, 422, "app-2"},
		{"app-3", `"start":"2026-07-19T11:30:00+02:00","end":"2026-07-19T12:00:00+02:00",`, "", http.MethodPost, 422, "app-3"},
		{"app-4", `"status":"booked",`, `"status":"booked","cancelationReason":{"text":"x"},`, http.MethodPost, 422, "app-4"},
		{"app-1", `{"actor":{"display":"Dr X"},"status":"accepted"}`, `{"status":"accepted"}`, http.MethodPost, 422, "app-1"},
		{"no seconds", `"start":"2026-07-19T11:30:00+02:00"`, `"start":"2026-07-19T11:30+02:00"`, http.MethodPost, 422, "instant"},
		{"another patient", `"value":"mes-1"`, `"value":"mes-2"`, http.MethodPost, 403, "patient"},
		{"no patient", `{"actor":{"identifier":{"system":"` + mesPatientSystem + `","value":"mes-1"}},"required":"required","status":"accepted"},`, "", http.MethodPost, 422, "patient"},
		{"update", `"status":"booked"`, `"status":"cancelled"`, http.MethodPut, 200, ""},
		{"update of another identifier", `"value":"A1"`, `"value":"A2"`, http.MethodPut, 422, "searches for"},
	}
	for _, tt := range tests {
		body := good
		if tt.old != "" {
			if !strings.Contains(body, tt.old) {
				t.Fatalf("%s: %q not in the body", tt.name, tt.old)
			}
			body = strings.Replace(body, tt.old, tt.new, 1)
		}
		u := ts.URL + "/Appointment"
		if tt.method == http.MethodPut {
			u += "?identifier=urn%3Aoid%3A1.2.3%7CA1"
		}
		req, _ := http.NewRequest(tt.method, u, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/fhir+json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		buf := make([]byte, 4096)
		n, _ := resp.Body.Read(buf)
		b.Write(buf[:n])
		resp.Body.Close()
		if resp.StatusCode != tt.want || !strings.Contains(b.String(), tt.wantIssues) {
			t.Errorf("%s: %d %s, want %d naming %q", tt.name, resp.StatusCode, b.String(), tt.want, tt.wantIssues)
		}
	}
	// The patient's agenda read back: their one appointment, cancelled;
	// another patient's token sees none of it.
	for _, tc := range []struct {
		token, query, want string
	}{
		{token, "", `"total":1`}, {token, "?identifier=urn%3Aoid%3A1.2.3%7CA1", `"status":"cancelled"`},
		{token, "?identifier=urn%3Aoid%3A1.2.3%7CA2", `"total":0`},
		{s.AddPatient("mes-2", "180017512345678", "1.2.250.1.213.1.4.10"), "", `"total":0`},
	} {
		req, _ := http.NewRequest(http.MethodGet, ts.URL+"/Appointment"+tc.query, nil)
		req.Header.Set("Authorization", "Bearer "+tc.token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(b), tc.want) {
			t.Errorf("GET /Appointment%s: %d %s, want %s", tc.query, resp.StatusCode, b, tc.want)
		}
	}
	got := s.Appointments()
	if len(got) != 1 || strings.Join(got[0].History, ", ") != "create booked 2026-07-19T11:30:00+02:00, update cancelled 2026-07-19T11:30:00+02:00" {
		t.Errorf("appointments = %+v", got)
	}
}
