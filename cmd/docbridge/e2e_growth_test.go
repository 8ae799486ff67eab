package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/store"
	"github.com/docbridge/docbridge/internal/store/storetest"
	"github.com/docbridge/docbridge/mes/messim"
)

// TestEndToEndConsoleCounts (issue 17, item 5): documents taken in by a
// real daemon through its drop folder and moved by its stages to
// delivered, review, held and failed are counted by the store as they
// move: every docbridge_documents series of a /metrics scrape equals a
// recount of the rows, the dashboard shows the delivered total, and the
// list by state pages through them (100, then the rest, by the Older
// documents link). On SQLite, and on PostgreSQL when
// DOCBRIDGE_TEST_POSTGRES names a database.
func TestEndToEndConsoleCounts(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test skipped in -short mode")
	}
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			db := ""
			if engine == "postgres" {
				db = storetest.Postgres(t)
			}
			consoleAddr := freeAddr(t)
			e := newE2EOn(t, db, messim.Options{}, nil, fmt.Sprintf(`admin:
  addr: %q
  trusted_header: X-Test-User
  trusted_proxies: [127.0.0.1/32]
  users: [{name: vera, role: viewer}]
`, consoleAddr))
			daemon := e.start()
			defer stopDaemon(t, daemon)
			const delivered = 105
			ids := e.dropCopies(delivered)
			for _, s := range []string{"held-unpaired-patient.xml", "refused-unknown-type.xml", "refused-doctype.xml"} {
				e.dropSample(s, nil)
			}
			e.waitFor("every copy delivered", 3*time.Minute, func() bool { return e.sim.Count() == len(ids) })
			e.waitFor("the samples stopped", time.Minute, func() bool {
				st, err := e.openStore()
				if err != nil {
					return false
				}
				defer st.Close()
				held, err1 := st.Documents(context.Background(), store.Filter{State: docbridge.Held, Reason: docbridge.NotPaired})
				review, err2 := st.Documents(context.Background(), store.Filter{State: docbridge.Review, Reason: docbridge.UnmappedCode})
				return err1 == nil && err2 == nil && len(held) == 1 && len(review) == 1
			})
			c := newViewer("http://" + consoleAddr)

			st, err := e.openStore()
			if err != nil {
				t.Fatal(err)
			}
			recount, err := st.RecountByGroup(context.Background())
			st.Close()
			if err != nil {
				t.Fatal(err)
			}
			scraped := map[string]string{}
			for _, m := range regexp.MustCompile(`(?m)^docbridge_documents\{intake="([^"]*)",kind="([^"]*)",reason="([^"]*)",state="([^"]*)"\} (\S+)$`).FindAllStringSubmatch(c.get(t, "/metrics"), -1) {
				scraped[strings.Join(m[1:5], " ")] = m[5]
			}
			want := map[string]string{}
			for _, g := range recount {
				want[strings.Join([]string{g.Intake, g.Kind.String(), string(g.Reason), string(g.State)}, " ")] = strconv.Itoa(g.N)
			}
			if fmt.Sprint(scraped) != fmt.Sprint(want) {
				t.Errorf("docbridge_documents series = %v, want the recount %v", scraped, want)
			}
			if want["drop document  delivered"] != strconv.Itoa(delivered) {
				t.Errorf("recount of delivered documents = %q, want %d", want["drop document  delivered"], delivered)
			}

			dash := c.get(t, "/")
			if w := fmt.Sprintf(`<span class="badge delivered">delivered</span></a></td><td class="num">%d</td>`, delivered); !strings.Contains(dash, w) {
				t.Errorf("dashboard lacks %q", w)
			}
			listed := regexp.MustCompile(`<tr><td><a href="/documents/(\d+)">`)
			page := c.get(t, "/documents?state=delivered")
			first := listed.FindAllStringSubmatch(page, -1)
			next := regexp.MustCompile(`<a href="([^"]+)">Older documents`).FindStringSubmatch(page)
			if len(first) != 100 || next == nil {
				t.Fatalf("first page: %d documents, next link %v; want 100 and a link", len(first), next)
			}
			second := listed.FindAllStringSubmatch(c.get(t, strings.ReplaceAll(next[1], "&amp;", "&")), -1)
			if len(second) != delivered-100 {
				t.Errorf("second page: %d documents, want %d", len(second), delivered-100)
			}
			seen := map[string]bool{}
			for _, m := range append(first, second...) {
				if seen[m[1]] {
					t.Errorf("document %s listed twice", m[1])
				}
				seen[m[1]] = true
			}
		})
	}
}

// viewer is a console user named by the trusted header, keeping its
// session cookie.
type viewer struct {
	base string
	hc   *http.Client
}

func newViewer(base string) *viewer {
	jar, _ := cookiejar.New(nil)
	return &viewer{base: base, hc: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
}

// get returns the body of path, failing the test unless it answers 200.
func (v *viewer) get(t *testing.T, path string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, v.base+path, nil)
	req.Header.Set("X-Test-User", "vera")
	resp, err := v.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d\n%s", path, resp.StatusCode, b)
	}
	return string(b)
}
