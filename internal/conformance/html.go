package conformance

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"strings"
	"time"
)

//go:embed report.html.tmpl
var reportHTML string

var paris = func() *time.Location {
	if l, err := time.LoadLocation("Europe/Paris"); err == nil {
		return l
	}
	return time.UTC
}()

var reportTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.In(paris).Format("02/01/2006 15:04:05 MST")
	},
	"inc": func(i int) int { return i + 1 },
	"ms":  func(v float64) string { return strings.Replace(fmt.Sprintf("%.1f ms", v), ".", ",", 1) },
}).Parse(reportHTML))

// HTML renders the report as one self-contained, printable page in French:
// the environment, a table of the cases, then each case's details with its
// requests and answers.
func (r *Report) HTML() ([]byte, error) {
	var b bytes.Buffer
	if err := reportTemplate.Execute(&b, r); err != nil {
		return nil, fmt.Errorf("render the HTML report: %w", err)
	}
	return b.Bytes(), nil
}
