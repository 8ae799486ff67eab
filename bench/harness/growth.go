package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver, as the store uses

	"github.com/docbridge/docbridge"
)

// The growth measure (issue 17, item 5): the console's dashboard, the
// state-filtered document list, a /metrics scrape and the intake rate of a
// real `docbridge serve`, on an empty store and on one filled with a
// million documents. The generator writes the rows straight into the
// SQLite file (synthetic metadata, the sample patient, no content files),
// in big transactions; the store's own triggers keep the counts as for any
// other write.

// growthPages are the pages timed at each size, by name.
var growthPages = []struct{ name, path string }{
	{"dashboard", "/"},
	{"documents?state=delivered", "/documents?state=delivered"},
	{"/metrics scrape", "/metrics"},
}

// growthPoint is what one store size measured.
type growthPoint struct {
	Docs      int
	Fill      time.Duration              // generating the rows (0 for the empty store)
	Pages     map[string][]time.Duration // per growthPages name, every request
	Intake    int                        // documents dropped at once
	IntakeDur time.Duration              // first drop to last delivery
	Recount   time.Duration              // the full count query the console ran before counts were kept
	Exact     bool                       // /metrics' delivered count equals a recount of the rows
}

func (p growthPoint) intakePerSec() float64 { return float64(p.Intake) / p.IntakeDur.Seconds() }

// runGrowth measures an empty store and one of n documents, each with its
// own daemon delivering to sim; intake documents are dropped at each size
// and samples requests are made per page.
func runGrowth(ctx context.Context, bin, dir string, sim *simulator, t *templates, n, intake, samples int) ([]growthPoint, error) {
	var out []growthPoint
	for i, size := range []int{0, n} {
		step(fmt.Sprintf("growth: %d stored documents", size))
		p, err := growthAt(ctx, bin, filepath.Join(dir, strconv.Itoa(size)), sim, t, size, 9000+i, intake, samples)
		if err != nil {
			return out, fmt.Errorf("growth at %d documents: %w", size, err)
		}
		out = append(out, p)
	}
	return out, nil
}

// growthAt fills a new daemon's store with size documents, starts it and
// measures it.
func growthAt(ctx context.Context, bin, dir string, sim *simulator, t *templates, size, tag, intake, samples int) (growthPoint, error) {
	p := growthPoint{Docs: size, Pages: map[string][]time.Duration{}, Intake: intake}
	addr, err := freePort()
	if err != nil {
		return p, err
	}
	d, err := newUnpairedDaemon(bin, dir, sim, fmt.Sprintf(`admin:
  addr: %q
  trusted_header: X-Bench-User
  trusted_proxies: [127.0.0.1/32]
  users: [{name: bench, role: viewer}]
`, addr))
	if err != nil {
		return p, err
	}
	if err := d.pair(ctx, sim); err != nil { // creates the store
		return p, err
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "data", "docbridge.db")+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return p, err
	}
	defer db.Close()
	if size > 0 {
		start := time.Now()
		if err := fillStore(ctx, db, size); err != nil {
			return p, fmt.Errorf("fill: %w", err)
		}
		p.Fill = time.Since(start)
	}
	if err := d.start(); err != nil {
		return p, err
	}
	defer d.stop()
	if err := waitListening(addr); err != nil {
		return p, fmt.Errorf("console: %w", err)
	}
	c := newConsoleClient("http://" + addr)
	for _, pg := range growthPages {
		if _, _, err := c.get(pg.path); err != nil { // warm the page and the session
			return p, err
		}
		for range samples {
			took, _, err := c.get(pg.path)
			if err != nil {
				return p, err
			}
			p.Pages[pg.name] = append(p.Pages[pg.name], took)
		}
	}
	if p.Exact, p.Recount, err = checkExact(ctx, c, db); err != nil {
		return p, err
	}
	roots, docs := genDocs(t, 17, tag, intake)
	uids := make([]string, len(docs))
	names := make([]string, len(docs))
	for i, doc := range docs {
		uids[i], names[i] = uniqueID(roots[i]), fmt.Sprintf("growth-%d-%04d.xml", tag, i)
		if err := d.stage(names[i], doc); err != nil {
			return p, err
		}
	}
	var first time.Time
	for i, name := range names {
		at, err := d.publish(name)
		if err != nil {
			return p, err
		}
		if i == 0 {
			first = at
		}
	}
	if err := sim.waitAll(uids, 10*time.Minute); err != nil {
		return p, fmt.Errorf("intake: %w (log %s)", err, filepath.Join(dir, "daemon.log"))
	}
	var last time.Time
	for _, u := range uids {
		if at, _ := sim.receivedAt(u); at.After(last) {
			last = at
		}
	}
	p.IntakeDur = last.Sub(first)
	return p, nil
}

// documentsRe reads the docbridge_documents series of a scrape.
var documentsRe = regexp.MustCompile(`(?m)^docbridge_documents\{intake="([^"]*)",kind="([^"]*)",reason="([^"]*)",state="([^"]*)"\} (\S+)$`)

// checkExact compares every docbridge_documents series of a scrape with a
// count of the rows, group by group: the query the console ran at every
// view before the counts were kept, timed.
func checkExact(ctx context.Context, c *consoleClient, db *sql.DB) (bool, time.Duration, error) {
	_, body, err := c.get("/metrics")
	if err != nil {
		return false, 0, err
	}
	reported := map[string]float64{}
	for _, m := range documentsRe.FindAllStringSubmatch(body, -1) {
		n, err := strconv.ParseFloat(m[5], 64)
		if err != nil {
			return false, 0, err
		}
		reported[strings.Join(m[1:5], "|")] = n
	}
	start := time.Now()
	rows, err := db.QueryContext(ctx, `SELECT i.intake, d.kind, d.reason, d.state, COUNT(*)
	FROM documents d JOIN inputs i ON i.id = d.input_id GROUP BY d.state, d.reason, i.intake, d.kind`)
	if err != nil {
		return false, 0, err
	}
	defer rows.Close()
	counted := map[string]float64{}
	for rows.Next() {
		var intake, kind, reason, state string
		var n float64
		if err := rows.Scan(&intake, &kind, &reason, &state, &n); err != nil {
			return false, 0, err
		}
		counted[strings.Join([]string{intake, docbridge.Kind(kind).String(), reason, state}, "|")] = n
	}
	took := time.Since(start)
	if err := rows.Err(); err != nil {
		return false, 0, err
	}
	exact := len(counted) == len(reported) && len(counted) > 0
	for k, n := range counted {
		exact = exact && reported[k] == n
	}
	return exact, took, nil
}

// consoleClient is a signed-in console user (through the trusted header)
// keeping its session cookie.
type consoleClient struct {
	base string
	hc   *http.Client
}

func newConsoleClient(base string) *consoleClient {
	jar, _ := cookiejar.New(nil)
	return &consoleClient{base: base, hc: &http.Client{Jar: jar, Timeout: time.Minute}}
}

// get requests path and returns how long the whole answer took and its
// body; any status but 200 is an error.
func (c *consoleClient) get(path string) (time.Duration, string, error) {
	req, err := http.NewRequest(http.MethodGet, c.base+path, nil)
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("X-Bench-User", "bench")
	start := time.Now()
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, "", err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	took := time.Since(start)
	if err != nil {
		return 0, "", err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, "", fmt.Errorf("GET %s: status %d", path, resp.StatusCode)
	}
	return took, string(b), nil
}

// growthMix is the stored documents' mix: per 1,000 documents, how many
// end in each state and reason, as a store some years old holds them.
var growthMix = []struct {
	per1000       int
	state, reason string
}{
	{915, "delivered", ""}, {30, "delivered", "duplicate"}, {25, "superseded", ""},
	{8, "failed", "mes-rejected"}, {7, "review", "identity-mismatch"}, {5, "review", "unmapped-code"},
	{5, "held", "not-paired"}, {5, "deleted", ""},
}

// fillStore inserts n inputs of one document each, oldest first over the
// last two years, spread over three intakes (5 drop, 4 lis, 1 fhir in
// 10), three kinds (8 documents, 1 measurement, 1 appointment in 10) and
// growthMix, in transactions of 100,000 inputs and their documents. The
// rows are made by SQLite itself (INSERT … SELECT over a recursive
// sequence), with durability off for the generator's connection only (the
// daemon opens the store as always); the store's triggers count the
// documents as they are inserted.
func fillStore(ctx context.Context, db *sql.DB, n int) error {
	meta, err := growthMeta(pairedPatient.Patient)
	if err != nil {
		return err
	}
	heldMeta, err := growthMeta(unpairedPatient)
	if err != nil {
		return err
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `PRAGMA synchronous = OFF`); err != nil {
		return err
	}
	var mix []string
	lo := 0
	for _, m := range growthMix {
		mix = append(mix, fmt.Sprintf("(%d, %d, '%s', '%s')", lo, lo+m.per1000, m.state, m.reason))
		lo += m.per1000
	}
	span := int64(2 * 365 * 24 * time.Hour)
	start, stepNS := time.Now().Add(-time.Hour).UnixNano()-span, span/int64(n)
	uid := `'urn:oid:` + docRoot + `.9.' || i.id`
	const batch = 100_000
	for lo := 0; lo < n; lo += batch {
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		var before int64
		err = tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM inputs`).Scan(&before)
		if err == nil {
			_, err = tx.ExecContext(ctx, `WITH RECURSIVE seq(k) AS (SELECT ? UNION ALL SELECT k + 1 FROM seq WHERE k + 1 < ?)
	INSERT INTO inputs (intake, source, message_id, sha256, size, received_at, state, reason, message, updated_at)
	SELECT CASE WHEN k % 10 < 5 THEN 'drop' WHEN k % 10 < 9 THEN 'lis' ELSE 'fhir' END, 'generated', '',
		printf('%064x', k), 1000, ? + k * ?, 'converted', '', '', ? + k * ?
	FROM seq`, lo, min(lo+batch, n), start, stepNS, start, stepNS)
		}
		if err == nil {
			_, err = tx.ExecContext(ctx, `WITH mix(lo, hi, state, reason) AS (VALUES `+strings.Join(mix, ", ")+`)
	INSERT INTO documents (input_id, unique_id, sha256, state, reason, message, attempts, next_attempt_at,
		pairing_id, mes_id, meta, created_at, updated_at, version_key, kind)
	SELECT i.id, `+uid+`, i.sha256, m.state, m.reason, '', 1,
		CASE m.state WHEN 'held' THEN 9223372036854775807 ELSE i.received_at END,
		CASE m.state WHEN 'held' THEN '' ELSE 'pairing-docbridge-test-1' END,
		CASE WHEN m.state IN ('held', 'failed', 'review') THEN '' ELSE 'mes-' || i.id END,
		replace(CASE m.state WHEN 'held' THEN ? ELSE ? END, ?, `+uid+`), i.received_at, i.received_at, 'gen-' || i.id,
		CASE (i.id / 10) % 10 WHEN 8 THEN 'measurement' WHEN 9 THEN 'appointment' ELSE '' END
	FROM inputs i JOIN mix m ON (i.id * 7919) % 1000 >= m.lo AND (i.id * 7919) % 1000 < m.hi
	WHERE i.id > ? ORDER BY i.id`, heldMeta, meta, growthUIDMark, before)
		}
		if err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	_, err = conn.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
	return err
}

// growthUIDMark stands for each generated document's uniqueId in
// growthMeta's JSON.
const growthUIDMark = "GROWTH-UNIQUE-ID"

// unpairedPatient is the synthetic patient of the generated documents
// held for a pairing: nobody paired with this INS, so a daemon rechecking
// them when it starts keeps them held.
var unpairedPatient = docbridge.Patient{
	INS: "185127599900165", INSSystem: "urn:oid:1.2.250.1.213.1.4.10",
	BirthName: "DOCBRIDGE-ATTENTE", FirstNames: []string{"DOMINIQUE"},
	BirthDate: "1985-12-01", Sex: "M", BirthPlace: "75056",
}

// growthMeta returns the metadata JSON of a generated document of patient
// p: a biology report as a converter stores it.
func growthMeta(p docbridge.Patient) (string, error) {
	d := docbridge.Document{
		UniqueID: growthUIDMark, Action: docbridge.Create,
		Type:  docbridge.Coding{System: "http://loinc.org", Code: "11502-2", Display: "CR d'examens biologiques"},
		Class: docbridge.Coding{System: "urn:oid:1.2.250.1.213.1.1.4.1", Code: "10", Display: "Compte rendu"},
		Title: "Compte rendu de biologie", Creation: "2025-11-14T10:00:00+01:00", Language: "fr-FR",
		ContentType: "text/xml", Size: 80_000, Patient: p,
		Authors: []docbridge.Author{{ID: "810002673899", Name: "Dr Test"}},
	}
	b, err := json.Marshal(d)
	return string(b), err
}

// growthRows are the report's rows of the growth measure: each page's
// median (p95) at each size, against 50 ms at the largest, and the intake
// rate at the largest size against the empty store's.
func (r *report) growthRows() []row {
	if len(r.Growth) == 0 {
		return nil
	}
	empty, full := r.Growth[0], r.Growth[len(r.Growth)-1]
	var rows []row
	for _, pg := range growthPages {
		at0, atN := empty.Pages[pg.name], full.Pages[pg.name]
		med := ms(percentile(atN, 50))
		rows = append(rows, row{fmt.Sprintf("%s at %d / %d docs (ms)", pg.name, empty.Docs, full.Docs),
			fmt.Sprintf("%.1f (p95 %.1f) / %.1f (p95 %.1f)", ms(percentile(at0, 50)), ms(percentile(at0, 95)), med, ms(percentile(atN, 95))),
			"", "", "< 50", verdict(med < 50)})
	}
	// slowdown is the time per document at the largest size over the
	// empty store's: above 1, intake got slower as the store grew.
	slowdown := empty.intakePerSec() / full.intakePerSec()
	rows = append(rows,
		row{fmt.Sprintf("intake at %d / %d docs (docs/s); time per doc vs empty", empty.Docs, full.Docs),
			fmt.Sprintf("%.1f / %.1f", empty.intakePerSec(), full.intakePerSec()), "empty", fmt.Sprintf("%.2fx", slowdown), "<= 1.5x", verdict(slowdown <= 1.5)},
		row{fmt.Sprintf("  counts exact at %d docs; full recount took (ms)", full.Docs), fmt.Sprintf("%v; %.0f", full.Exact, ms(full.Recount)), "", "", "exact", verdict(full.Exact)},
		row{fmt.Sprintf("  generating %d docs (s)", full.Docs), fmt.Sprintf("%.1f", full.Fill.Seconds()), "", "", "", ""},
	)
	return rows
}
