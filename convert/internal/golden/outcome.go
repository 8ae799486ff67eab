package golden

import (
	"errors"
	"sync"
	"testing"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/mappings"
)

// Outcome is the recorded outcome of one conversion: its documents, or its
// refusal.
type Outcome struct {
	Documents []*docbridge.Document `json:"documents,omitempty"`
	Error     *Refusal              `json:"error,omitempty"`
}

// Refusal is a refused conversion's reason code and message; the code is
// "unclassified" for an error that is not a *docbridge.Error.
type Refusal struct {
	Code    docbridge.Reason `json:"code"`
	Message string           `json:"message"`
}

// OutcomeOf records what a converter returned.
func OutcomeOf(docs []*docbridge.Document, err error) Outcome {
	if err != nil {
		var e *docbridge.Error
		if !errors.As(err, &e) {
			return Outcome{Error: &Refusal{Code: "unclassified", Message: err.Error()}}
		}
		return Outcome{Error: &Refusal{Code: e.Reason, Message: e.Msg}}
	}
	return Outcome{Documents: docs}
}

var loadMappings = sync.OnceValues(func() (*mappings.Set, error) { return mappings.Load("") })

// Mappings returns the embedded national value sets, loaded once.
func Mappings(t testing.TB) *mappings.Set {
	t.Helper()
	m, err := loadMappings()
	if err != nil {
		t.Fatalf("mappings.Load: %v", err)
	}
	return m
}
