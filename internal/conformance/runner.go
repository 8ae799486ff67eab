package conformance

import (
	"context"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/docbridge/docbridge/mes"
)

// Options configures a run of the test book.
type Options struct {
	Environment Environment
	// Documents and Pairing are docbridge's MES clients; both, and
	// Consent, must send their requests through Recorder.
	Documents *mes.Client
	Pairing   *mes.PairingClient
	Consent   Consent
	Recorder  *Recorder
	// Redactor knows what is secret in advance (the simulator's test
	// patient); nil means a new one. It learns the rest from the traffic.
	Redactor *Redactor
	// APIs are the APIs asked for; empty means every API that has cases.
	APIs []API
	// Cases is the book; nil means Cases().
	Cases []Case
	// Progress, if set, gets one line per case as it ends.
	Progress io.Writer
	Now      func() time.Time
}

// Run runs the cases of the APIs asked for, in the book's order, and
// returns the report, redacted. A case that fails does not stop the run:
// the cases that depend on it fail saying so. An API asked for that has no
// cases in this build is reported as Unavailable; a case that needs the
// simulator, against a MES test environment, as NotApplicable. Run returns
// when every case has run; when ctx ends, the remaining cases fail
// quickly. At the end, a pairing the run made and did not revoke is
// revoked (not recorded).
func Run(ctx context.Context, o Options) *Report {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Cases == nil {
		o.Cases = Cases()
	}
	if o.Redactor == nil {
		o.Redactor = NewRedactor()
	}
	apis := o.APIs
	if len(apis) == 0 {
		for _, a := range APIs {
			if slices.ContainsFunc(o.Cases, func(c Case) bool { return c.API == a }) {
				apis = append(apis, a)
			}
		}
	}
	s := &Session{docs: o.Documents, oauth: o.Pairing, consent: o.Consent,
		rec: o.Recorder, red: o.Redactor, now: o.Now}
	rep := &Report{Environment: o.Environment, APIs: apis, Started: o.Now().UTC()}
	raws := map[string][]*record{}
	for _, c := range o.Cases {
		if !slices.Contains(apis, c.API) {
			continue
		}
		res := Result{ID: c.ID, API: c.API, Title: c.Title, Expected: c.Expected, Started: o.Now().UTC()}
		if c.SimFault != 0 && !o.Environment.Simulator {
			res.Status = NotApplicable
			res.Actual = fmt.Sprintf("Non exécuté : ce cas demande au simulateur de répondre HTTP %d ; un environnement de test MES ne donne pas cette réponse à la demande.", c.SimFault)
		} else {
			o.Recorder.begin(c.ID)
			start := o.Now()
			actual, err := c.Run(ctx, s)
			res.DurationMS = float64(o.Now().Sub(start).Microseconds()) / 1000
			raws[c.ID] = o.Recorder.end()
			res.Status, res.Actual = Passed, actual
			if err != nil {
				res.Status, res.Actual = Failed, "Échec : "+err.Error()
				if actual != "" {
					res.Actual = actual + " — " + res.Actual
				}
			}
		}
		rep.Results = append(rep.Results, res)
		progress(o.Progress, res)
	}
	for _, a := range apis {
		if slices.ContainsFunc(o.Cases, func(c Case) bool { return c.API == a }) {
			continue
		}
		res := Result{ID: string(a), API: a, Title: "API " + a.Title(), Status: Unavailable, Started: o.Now().UTC(),
			Expected: "Les cas de l'API " + a.Title() + ".",
			Actual:   "Non disponible dans cette version de docbridge : cette API n'a pas encore de cas dans le cahier de tests."}
		rep.Results = append(rep.Results, res)
		progress(o.Progress, res)
	}
	s.cleanup(ctx)
	rep.Finished = o.Now().UTC()
	for _, rs := range raws {
		for _, r := range rs {
			o.Redactor.learn(r)
		}
	}
	for i := range rep.Results {
		res := &rep.Results[i]
		res.Actual = o.Redactor.Text(res.Actual)
		res.Exchanges = []Exchange{}
		for _, r := range raws[res.ID] {
			res.Exchanges = append(res.Exchanges, o.Redactor.exchange(r))
		}
		rep.Counts.add(res.Status)
	}
	return rep
}

// cleanup revokes the pairing the run made, if the book did not.
func (s *Session) cleanup(ctx context.Context) {
	if s.pairing.RefreshToken == "" || s.revoked {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	s.oauth.Revoke(ctx, s.pairing.RefreshToken)
}

func progress(w io.Writer, r Result) {
	if w == nil {
		return
	}
	fmt.Fprintf(w, "%-15s %-28s %s\n", r.Status.Label(), r.ID, r.Title)
}
