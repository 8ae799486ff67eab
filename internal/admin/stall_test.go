package admin

import (
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/internal/metrics"
)

// TestStallIgnoresWaitingForPairing: documents held until the patient pairs
// are normal waiting: they have their own gauges and never raise the
// oldest_pending stall alarm, while a document held for MES does.
func TestStallIgnoresWaitingForPairing(t *testing.T) {
	tests := []struct {
		name string
		docs []struct {
			state  docbridge.State
			reason docbridge.Reason
		}
		wantLines []string
	}{
		{
			name: "one unpaired patient",
			docs: []struct {
				state  docbridge.State
				reason docbridge.Reason
			}{{docbridge.Held, docbridge.NotPaired}},
			wantLines: []string{
				`docbridge_stall{signal="oldest_pending"} 0`,
				`docbridge_oldest_pending_age_seconds 0`,
				`docbridge_documents_waiting_for_pairing 1`,
			},
		},
		{
			name: "revoked pairing and review",
			docs: []struct {
				state  docbridge.State
				reason docbridge.Reason
			}{{docbridge.Held, docbridge.PairingRevoked}, {docbridge.Review, docbridge.IdentityMismatch}},
			wantLines: []string{
				`docbridge_stall{signal="oldest_pending"} 0`,
				`docbridge_documents_waiting_for_pairing 1`,
				`docbridge_review_depth 1`,
			},
		},
		{
			name: "held for MES",
			docs: []struct {
				state  docbridge.State
				reason docbridge.Reason
			}{{docbridge.Held, docbridge.NotPaired}, {docbridge.Held, docbridge.MESUnavailable}},
			wantLines: []string{
				`docbridge_stall{signal="oldest_pending"} 1`,
				`docbridge_documents_waiting_for_pairing 1`,
			},
		},
		{
			name: "converted, not moving",
			docs: []struct {
				state  docbridge.State
				reason docbridge.Reason
			}{{docbridge.Converted, ""}},
			wantLines: []string{
				`docbridge_stall{signal="oldest_pending"} 1`,
				`docbridge_documents_waiting_for_pairing 0`,
				`docbridge_oldest_waiting_for_pairing_age_seconds 0`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			for i, d := range tt.docs {
				f.addDoc("urn:oid:1.2.9."+string(rune('1'+i)), camille, d.state, d.reason)
			}
			now := time.Now().Add(2 * time.Hour)
			m := metrics.New(metrics.Options{Store: f.st, Stall: metrics.Stall{OldestPending: time.Hour}, Log: zerolog.Nop(), Now: func() time.Time { return now }})
			body := scrape(t, m)
			for _, want := range tt.wantLines {
				if !strings.Contains(body, want+"\n") {
					t.Errorf("metrics lack %q", want)
				}
			}
		})
	}
}
