package admin

import (
	"fmt"
	"html"
	"regexp"
	"strings"
	"testing"

	"github.com/docbridge/docbridge"
)

var (
	listedRe = regexp.MustCompile(`<tr><td><a href="/documents/(\d+)">`)
	olderRe  = regexp.MustCompile(`<a href="([^"]+)">Older documents`)
)

// TestDocumentListPages: the state-filtered list shows listLimit documents
// newest first and links to the next page, which starts just below the
// last one shown and keeps the filter; the last page has no link; a bad
// page id is a problem a person can act on.
func TestDocumentListPages(t *testing.T) {
	f := newFixture(t)
	var delivered []string
	for i := range listLimit + 5 {
		id := f.addDoc(fmt.Sprintf("urn:oid:1.2.9.%d", i), camille, docbridge.Delivered, "")
		delivered = append(delivered, itoa(id))
		if i%50 == 0 {
			f.addDoc(fmt.Sprintf("urn:oid:1.2.9.r%d", i), camille, docbridge.Review, docbridge.IdentityMismatch)
		}
	}
	c := f.signIn("vera")
	listed := func(body string) []string {
		var out []string
		for _, m := range listedRe.FindAllStringSubmatch(body, -1) {
			out = append(out, m[1])
		}
		return out
	}
	reverse := func(ids []string) []string {
		out := make([]string, len(ids))
		for i, id := range ids {
			out[len(ids)-1-i] = id
		}
		return out
	}
	want := reverse(delivered)

	_, body := c.get("/documents?state=delivered")
	if got := listed(body); strings.Join(got, ",") != strings.Join(want[:listLimit], ",") {
		t.Fatalf("first page lists %d documents %v…, want the %d newest delivered", len(got), got[:min(3, len(got))], listLimit)
	}
	m := olderRe.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("a full first page has no link to older documents")
	}
	next := html.UnescapeString(m[1])
	if wantLink := "/documents?before=" + want[listLimit-1] + "&state=delivered"; next != wantLink {
		t.Errorf("next page link = %q, want %q", next, wantLink)
	}
	_, body = c.get(next)
	if got := listed(body); strings.Join(got, ",") != strings.Join(want[listLimit:], ",") {
		t.Errorf("second page lists %v, want %v", got, want[listLimit:])
	}
	if olderRe.MatchString(body) {
		t.Error("the last page links to older documents")
	}
	_, body = c.get("/documents?state=delivered&before=x")
	if !strings.Contains(body, "The page is given by a document id") {
		t.Error("a bad page id is not explained")
	}
}
