package mes_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/mes"
	"github.com/docbridge/docbridge/mes/messim"
)

// TestFindBothProfiles: Find tells a document MES holds (current or
// superseded), even when MES's answer to its delivery was lost, from one
// it never got or deleted.
func TestFindBothProfiles(t *testing.T) {
	for _, profile := range []string{mes.ProfileMESAPI, mes.ProfilePDSm} {
		t.Run(profile, func(t *testing.T) {
			e := newEnv(t, messim.Options{LoseAnswers: messim.LoseFirst(1)})
			c := mes.NewClient(mes.Options{BaseURL: e.base, Profile: profile, SourceID: sourceID})
			ctx := context.Background()
			lost := testDoc("urn:oid:1.2.250.1.999.41.1", []byte("answer lost"))
			if _, err := c.Deliver(ctx, lost, bytes.NewReader(lost.Content), e.pA); docbridge.ReasonOf(err) != docbridge.MESUnavailable {
				t.Fatalf("Deliver with its answer lost: %v, want mes-unavailable", err)
			}
			v2 := testDoc("1.2.250.1.999.41^v2", []byte("version 2"))
			v2.Action, v2.Replaces = docbridge.Replace, lost.UniqueID
			gone := testDoc("urn:oid:1.2.250.1.999.41.3", []byte("deleted"))
			for _, d := range []*docbridge.Document{v2, gone} {
				if _, err := c.Deliver(ctx, d, bytes.NewReader(d.Content), e.pA); err != nil {
					t.Fatalf("Deliver %s: %v", d.UniqueID, err)
				}
			}
			if _, err := c.Deliver(ctx, &docbridge.Document{UniqueID: gone.UniqueID, Action: docbridge.Delete}, nil, e.pA); err != nil {
				t.Fatal(err)
			}
			mesIDs := map[string]string{}
			for _, s := range e.sim.Documents() {
				mesIDs[s.UniqueID] = s.MESID
			}
			tests := []struct {
				uniqueID string
				found    bool
			}{
				{lost.UniqueID, true}, // superseded by v2
				{v2.UniqueID, true},
				{gone.UniqueID, false},
				{"urn:oid:1.2.250.1.999.41.9", false},
			}
			for _, tt := range tests {
				id, found, err := c.Find(ctx, tt.uniqueID, e.pA)
				if err != nil {
					t.Fatalf("Find %s: %v", tt.uniqueID, err)
				}
				if found != tt.found || found && id != mesIDs[tt.uniqueID] {
					t.Errorf("Find %s = %q, %v; want %q, %v", tt.uniqueID, id, found, mesIDs[tt.uniqueID], tt.found)
				}
			}
		})
	}
}
