package bulk

import (
	"context"
	"embed"
	"html/template"
	"io"
	"iter"
	"sort"
)

//go:embed templates/report.html.tmpl templates/invitations.html.tmpl
var templates embed.FS

var reportTemplate = template.Must(template.ParseFS(templates, "templates/report.html.tmpl"))

// chart is an inline SVG bar chart: no script, no external file.
type chart struct {
	Title         string
	Width, Height int
	Bars          []bar
}

type bar struct {
	Label              string
	N                  int
	X, Y, W, NX, TextY int
	Color              string
}

var outcomeColors = map[string]string{
	"delivered": "#2e7d32", "held": "#f9a825", "review": "#1565c0", "failed": "#c62828",
	"unreadable": "#6a1b9a", "duplicate": "#757575", "pending": "#ef6c00",
}

// newChart draws counts as horizontal bars, biggest first.
func newChart(title string, counts map[string]int) chart {
	const labelW, maxW, rowH = 170, 420, 24
	keys := make([]string, 0, len(counts))
	top := 1
	for k, n := range counts {
		keys = append(keys, k)
		top = max(top, n)
	}
	sort.Slice(keys, func(i, j int) bool {
		if counts[keys[i]] != counts[keys[j]] {
			return counts[keys[i]] > counts[keys[j]]
		}
		return keys[i] < keys[j]
	})
	c := chart{Title: title, Width: labelW + maxW + 80, Height: rowH*len(keys) + 4}
	for i, k := range keys {
		w := max(1, counts[k]*maxW/top)
		color := outcomeColors[k]
		if color == "" {
			color = "#455a64"
		}
		c.Bars = append(c.Bars, bar{Label: k, N: counts[k], X: labelW, Y: i*rowH + 2, W: w, NX: labelW + w + 6, TextY: i*rowH + 16, Color: color})
	}
	return c
}

type keyN struct {
	Key string
	N   int
}

func listOf[K ~string](m map[K]int) []keyN {
	out := make([]keyN, 0, len(m))
	for _, k := range sortedKeys(m) {
		out = append(out, keyN{string(k), m[k]})
	}
	return out
}

func stringCounts[K ~string](m map[K]int) map[string]int {
	out := make(map[string]int, len(m))
	for k, n := range m {
		out[string(k)] = n
	}
	return out
}

// WriteHTML writes the HTML report: the counts, an SVG chart of outcomes
// and one of reasons, and every refusal, streamed.
func (r *Result) WriteHTML(ctx context.Context, w io.Writer) error {
	s := r.Summary
	data := struct {
		S                     *Summary
		Outcomes, Reasons     chart
		Types, Years, Formats []keyN
		Refusals              iter.Seq[Refusal]
		Documents             iter.Seq[DocumentRow]
	}{
		S: s, Outcomes: newChart("outcomes", stringCounts(s.Outcomes)), Reasons: newChart("reasons", stringCounts(s.Reasons)),
		Types: listOf(s.Types), Years: listOf(s.Years), Formats: listOf(s.Formats), Refusals: r.Refusals(ctx),
		Documents: r.Documents(ctx),
	}
	if err := reportTemplate.Execute(w, data); err != nil {
		return err
	}
	return r.Err()
}
