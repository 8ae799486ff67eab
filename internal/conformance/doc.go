// Package conformance runs the référencement test book of docbridge
// against a MES (docs/architecture.md §2): a registry of cases, one small
// entry each (an id, the API it tests, a French title, what is expected
// and a run function), run in order through docbridge's own MES clients
// (package mes) over a Recorder that keeps every HTTP request and answer.
// The result is a Report, written as JSON and as a printable French HTML
// page, that says against which environment it ran.
//
// Nothing secret or identifying reaches a Report: access and refresh
// tokens, authorization codes, PKCE verifiers and challenges, client
// secrets, and the test patient's INS, names, birth date and birthplace are
// replaced by "[masqué]" wherever they appear — headers, URLs, form, JSON
// and XML bodies — and document contents are shown by size and hash only
// (redact.go).
//
// The package talks to MES through the mes client only; it never imports
// the simulator. Against docbridge's simulator (Environment.Simulator) the
// patient's consent is given automatically (SimulatorConsent) and the
// cases that need an answer MES cannot be made to give on demand (429,
// 5xx) ask the simulator's fault injection for it with the CaseHeader
// header; against a MES test environment the editor gives the consent in a
// browser (ManualConsent) and those cases are reported as not applicable.
package conformance
