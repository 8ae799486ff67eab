package conformance

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// Consent stands for the test patient at MES's consent page. Ask takes the
// patient to authorizeURL, approves or refuses docbridge's request as told,
// and returns the callback URL MES sent the browser back to: with code and
// state, or with error and state. It blocks until then or until ctx is
// done.
type Consent interface {
	Ask(ctx context.Context, authorizeURL string, approve bool) (*url.URL, error)
}

// SimulatorConsent answers docbridge's simulator's consent page over HTTP,
// as a browser would: it reads the page's form (its hidden fields and the
// CSRF cookie), picks Patient (a MES patient id the simulator knows) and
// submits the decision, without following the redirect to the callback.
// HTTP is the client of the Recorder, so the report shows these exchanges;
// it must not follow redirects.
type SimulatorConsent struct {
	HTTP    *http.Client
	Patient string
}

// Ask implements Consent.
func (c SimulatorConsent) Ask(ctx context.Context, authorizeURL string, approve bool) (*url.URL, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, authorizeURL, nil)
	if err != nil {
		return nil, fmt.Errorf("build the consent page request: %w", err)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return nil, fmt.Errorf("open the consent page: %w", err)
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode == http.StatusSeeOther && loc != "" {
		return url.Parse(loc) // MES refused the request itself and sent the browser back
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("the consent page answered HTTP %d", resp.StatusCode)
	}
	f, err := parseConsentForm(body)
	if err != nil {
		return nil, err
	}
	action, err := req.URL.Parse(f.action)
	if err != nil {
		return nil, fmt.Errorf("the consent form's action: %w", err)
	}
	form := url.Values{}
	for k, v := range f.hidden {
		form.Set(k, v)
	}
	form.Set("patient", c.Patient)
	form.Set("decision", map[bool]string{true: "approve", false: "deny"}[approve])
	post, err := http.NewRequestWithContext(ctx, http.MethodPost, action.String(), strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("build the consent answer: %w", err)
	}
	post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, ck := range resp.Cookies() {
		post.AddCookie(&http.Cookie{Name: ck.Name, Value: ck.Value})
	}
	answer, err := c.HTTP.Do(post)
	if err != nil {
		return nil, fmt.Errorf("send the consent answer: %w", err)
	}
	answer.Body.Close()
	loc := answer.Header.Get("Location")
	if answer.StatusCode/100 != 3 || loc == "" {
		return nil, fmt.Errorf("MES did not send the browser back to docbridge after the consent (HTTP %d)", answer.StatusCode)
	}
	return url.Parse(loc)
}

// consentForm is what SimulatorConsent reads of the consent page.
type consentForm struct {
	action string
	hidden map[string]string
}

var (
	formTag     = regexp.MustCompile(`(?is)<form\b[^>]*\bmethod="post"[^>]*>`)
	actionAttr  = regexp.MustCompile(`(?is)\baction="([^"]*)"`)
	hiddenInput = regexp.MustCompile(`(?is)<input\b[^>]*\btype="hidden"[^>]*>`)
	nameAttr    = regexp.MustCompile(`(?is)\bname="([^"]*)"`)
	valueAttr   = regexp.MustCompile(`(?is)\bvalue="([^"]*)"`)
)

// parseConsentForm reads the POST form of a consent page: its action and
// its hidden fields. It is a reading of the simulator's page, not of any
// HTML.
func parseConsentForm(page []byte) (consentForm, error) {
	tag := formTag.Find(page)
	if tag == nil {
		return consentForm{}, errors.New("the consent page has no form to answer")
	}
	f := consentForm{hidden: map[string]string{}}
	if m := actionAttr.FindSubmatch(tag); m != nil {
		f.action = html.UnescapeString(string(m[1]))
	}
	for _, in := range hiddenInput.FindAll(page, 16) {
		n, v := nameAttr.FindSubmatch(in), valueAttr.FindSubmatch(in)
		if n != nil && v != nil {
			f.hidden[html.UnescapeString(string(n[1]))] = html.UnescapeString(string(v[1]))
		}
	}
	return f, nil
}

// ManualConsent asks the editor to give the test patient's consent in a
// browser, against a MES test environment: it writes the authorization URL
// and what to do to Out, then waits for the address MES sends the browser
// back to (the callback under pairing.public_url, with code and state):
// from Callbacks, when the command receives the callback itself
// (CallbackHandler), or pasted into In from the browser's address bar. A
// pasted line that is not such an address is asked again.
type ManualConsent struct {
	Out io.Writer
	In  *bufio.Reader
	// Callbacks, if not nil, delivers the callbacks the command received;
	// Waiting then says where, for the editor.
	Callbacks <-chan *url.URL
	Waiting   string
}

// Ask implements Consent. When ctx is done it returns at once; the read of
// In in progress is then abandoned (the command is ending).
func (c ManualConsent) Ask(ctx context.Context, authorizeURL string, approve bool) (*url.URL, error) {
	for drained := false; !drained; { // a callback of an earlier request is not this one's
		select {
		case <-c.Callbacks:
		default:
			drained = true
		}
	}
	what := "connectez-vous avec le patient de test et AUTORISEZ l'accès"
	if !approve {
		what = "connectez-vous avec le patient de test et REFUSEZ l'accès"
	}
	fmt.Fprintf(c.Out, "\nOuvrez cette adresse dans un navigateur, %s :\n\n  %s\n\n", what, authorizeURL)
	if c.Callbacks != nil {
		fmt.Fprintf(c.Out, "docbridge attend le retour du navigateur sur %s ; s'il n'y arrive pas, ", c.Waiting)
	}
	fmt.Fprintln(c.Out, "collez ici l'adresse complète vers laquelle Mon espace santé renvoie le navigateur (…/callback?…) :")
	type line struct {
		s   string
		err error
	}
	lines := make(chan line, 1)
	read := func() {
		s, err := c.In.ReadString('\n')
		lines <- line{s, err}
	}
	go read()
	for {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case u := <-c.Callbacks:
			return u, nil
		case l := <-lines:
			u, perr := url.Parse(strings.TrimSpace(l.s))
			if perr == nil && u.IsAbs() && (u.Query().Has("code") || u.Query().Has("error")) {
				return u, nil
			}
			if l.err != nil {
				if c.Callbacks != nil {
					lines = nil // no more input: wait for the callback alone
					continue
				}
				return nil, fmt.Errorf("read the callback address: %w", l.err)
			}
			fmt.Fprintln(c.Out, "Ce n'est pas une adresse de retour avec code= ou error= ; collez l'adresse complète :")
			go read()
		}
	}
}

// CallbackHandler receives MES's redirect to docbridge's callback in place
// of docbridge serve's pairing endpoints, during a run against a MES test
// environment: each GET …/callback is handed to got as the absolute URL
// under public (pairing.public_url) and answered with a French page. A
// callback that nobody waits for is dropped. got should be buffered.
func CallbackHandler(public *url.URL, got chan<- *url.URL) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || !strings.HasSuffix(r.URL.Path, "/callback") {
			http.NotFound(w, r)
			return
		}
		u := *public
		u.Path = strings.TrimRight(public.Path, "/") + "/callback"
		u.RawQuery = r.URL.RawQuery
		select {
		case got <- &u:
		default:
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		io.WriteString(w, `<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>docbridge conformance</title></head>`+
			`<body><p>Retour de Mon espace santé reçu par <code>docbridge conformance</code> : vous pouvez fermer cette fenêtre et revenir au terminal.</p></body></html>`)
	})
}
