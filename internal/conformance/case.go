package conformance

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// API names one of MES's APIs the test book covers; --only selects by it.
type API string

// The APIs of the test book, as --only names them.
const (
	APIPairing      API = "pairing"
	APIDocuments    API = "documents"
	APIMeasurements API = "mesures"
	APIAgenda       API = "agenda"
)

// APIs are every API the test book knows, in the book's order.
var APIs = []API{APIPairing, APIDocuments, APIMeasurements, APIAgenda}

// Title is the API's French name, as the report shows it.
func (a API) Title() string {
	switch a {
	case APIPairing:
		return "Appairage (OAuth2)"
	case APIDocuments:
		return "Documents"
	case APIMeasurements:
		return "Mesures"
	case APIAgenda:
		return "Agenda"
	}
	return string(a)
}

// ParseAPIs reads a comma-separated --only list, each API once. An empty
// list selects every API that has cases in this build; an unknown name is
// an error that lists the known ones.
func ParseAPIs(s string) ([]API, error) {
	var out []API
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		a, ok := knownAPI(f)
		if !ok {
			return nil, fmt.Errorf("unknown API %q: the test book knows pairing, documents, mesures, agenda", f)
		}
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out, nil
}

func knownAPI(name string) (API, bool) {
	for _, a := range APIs {
		if string(a) == name {
			return a, true
		}
	}
	return "", false
}

// Case is one entry of the test book. Run performs the case through the
// Session's clients and returns what happened, in French, for the report's
// "actual" column; a nil error means the case passed, an error says in
// French why it did not. Run must leave in the Session what later cases of
// the book rely on (a pairing, a published document).
type Case struct {
	// ID is stable and unique, "<api>.<name>": the report's key and what
	// the simulator's fault injection is told to refuse.
	ID    string
	API   API
	Title string // French, one line
	// Expected says in French what must happen for the case to pass.
	Expected string
	// SimFault, if not zero, is the HTTP status the case asks the
	// simulator's fault injection to answer (429, 503): such a case needs
	// the simulator and is not applicable against a MES test environment.
	SimFault int
	Run      func(ctx context.Context, s *Session) (actual string, err error)
}

// Cases returns the test book in the order it runs. The pairing's
// revocation comes last, so that the documents cases use the pairing the
// first cases made (against a MES test environment, one consent fewer).
func Cases() []Case {
	var out []Case
	out = append(out, pairingCases()...)
	out = append(out, documentCases()...)
	out = append(out, measurementCases()...)
	out = append(out, agendaCases()...)
	out = append(out, revocationCase())
	return out
}

// SimFaults returns the fault each case of cs asks of the simulator, by
// case id: what the command gives the simulator's fault injection.
func SimFaults(cs []Case) map[string]int {
	out := map[string]int{}
	for _, c := range cs {
		if c.SimFault != 0 {
			out[c.ID] = c.SimFault
		}
	}
	return out
}

// Lookup returns the case of cs with that id.
func Lookup(cs []Case, id string) (Case, bool) {
	for _, c := range cs {
		if c.ID == id {
			return c, true
		}
	}
	return Case{}, false
}
