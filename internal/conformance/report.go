package conformance

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Status is a case's outcome.
type Status string

// The outcomes of a case.
const (
	// Passed: what happened is what was expected.
	Passed Status = "passed"
	// Failed: something else happened; Result.Actual says what.
	Failed Status = "failed"
	// NotApplicable: the case needs the simulator (Case.SimFault) and ran
	// against a MES test environment. It does not fail the run.
	NotApplicable Status = "not-applicable"
	// Unavailable: the API was asked for (--only) and this build of
	// docbridge has no cases for it. It fails the run: the book is
	// incomplete.
	Unavailable Status = "unavailable"
)

// Label is the status in French, as the HTML report shows it.
func (s Status) Label() string {
	switch s {
	case Passed:
		return "Réussi"
	case Failed:
		return "Échoué"
	case NotApplicable:
		return "Non applicable"
	case Unavailable:
		return "Non disponible"
	}
	return string(s)
}

// Environment says against what the book ran.
type Environment struct {
	BaseURL    string `json:"baseUrl"`    // the Documents API base
	PairingURL string `json:"pairingUrl"` // the base of the OAuth2 endpoints
	// Simulator is true against docbridge's built-in MES simulator, false
	// against a MES test environment.
	Simulator bool   `json:"simulator"`
	Profile   string `json:"profile"`  // the documents wire profile: mes-api or pdsm-iti65
	ClientID  string `json:"clientId"` // docbridge's OAuth2 client id
	Version   string `json:"docbridgeVersion"`
}

// Header is one HTTP header line, redacted.
type Header struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Exchange is one HTTP request and its answer, redacted.
type Exchange struct {
	Started         time.Time `json:"started"`
	DurationMS      float64   `json:"durationMs"`
	Method          string    `json:"method"`
	URL             string    `json:"url"`
	RequestHeaders  []Header  `json:"requestHeaders"`
	RequestBody     string    `json:"requestBody,omitempty"`
	Status          int       `json:"status,omitempty"` // 0 when no answer came
	StatusText      string    `json:"statusText,omitempty"`
	ResponseHeaders []Header  `json:"responseHeaders,omitempty"`
	ResponseBody    string    `json:"responseBody,omitempty"`
	Error           string    `json:"error,omitempty"` // the transport's error, when no answer came
}

// Result is one case's outcome with its evidence.
type Result struct {
	ID         string     `json:"id"`
	API        API        `json:"api"`
	Title      string     `json:"title"`
	Expected   string     `json:"expected"`
	Actual     string     `json:"actual"`
	Status     Status     `json:"status"`
	Started    time.Time  `json:"started"`
	DurationMS float64    `json:"durationMs"`
	Exchanges  []Exchange `json:"exchanges"`
}

// Report is a run of the test book.
type Report struct {
	Environment Environment `json:"environment"`
	APIs        []API       `json:"apis"` // what was asked for
	Started     time.Time   `json:"started"`
	Finished    time.Time   `json:"finished"`
	Results     []Result    `json:"results"`
	Counts      Counts      `json:"counts"`
}

// Counts are the results by status.
type Counts struct {
	Passed        int `json:"passed"`
	Failed        int `json:"failed"`
	NotApplicable int `json:"notApplicable"`
	Unavailable   int `json:"unavailable"`
}

func (c *Counts) add(s Status) {
	switch s {
	case Passed:
		c.Passed++
	case Failed:
		c.Failed++
	case NotApplicable:
		c.NotApplicable++
	case Unavailable:
		c.Unavailable++
	}
}

// OK reports whether the run is a success: no case failed and every API
// asked for was available.
func (r *Report) OK() bool {
	return r.Counts.Failed == 0 && r.Counts.Unavailable == 0 && len(r.Results) > 0
}

// Report file names in the output directory.
const (
	JSONName = "conformance.json"
	HTMLName = "conformance.html"
)

// Write writes the report as JSON and HTML into dir (created if needed),
// each through a temporary file renamed into place. It returns the paths
// written.
func (r *Report) Write(dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create the report directory: %w", err)
	}
	js, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode the report: %w", err)
	}
	html, err := r.HTML()
	if err != nil {
		return nil, err
	}
	var paths []string
	for _, f := range []struct {
		name string
		b    []byte
	}{{JSONName, append(js, '\n')}, {HTMLName, html}} {
		p := filepath.Join(dir, f.name)
		if err := writeFile(p, f.b); err != nil {
			return nil, err
		}
		paths = append(paths, p)
	}
	return paths, nil
}

// writeFile writes b to path through a temporary file, fsynced and renamed.
func writeFile(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Chmod(f.Name(), 0o640); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return os.Rename(f.Name(), path)
}
