package mes_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/mes"
)

// TestWriteBodyIsTheProfilesBody: the Client's WriteBody writes what the
// function of its profile writes, and refuses a profile it does not know.
func TestWriteBodyIsTheProfilesBody(t *testing.T) {
	content := []byte("%PDF-1.4 synthetic report for tests\n%%EOF\n")
	d := testDoc("urn:oid:1.2.250.1.999.1.1", content)
	del := testDoc("urn:oid:1.2.250.1.999.1.1", nil)
	del.Action = docbridge.Delete
	now := func() time.Time { return time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC) }
	var docref, bundle, patch bytes.Buffer
	if err := mes.WriteDocumentReference(&docref, d, bytes.NewReader(content), nil); err != nil {
		t.Fatal(err)
	}
	if err := mes.WriteBundle(&bundle, d, bytes.NewReader(content), nil, mes.BundleOptions{SourceID: "1.2.250.1.999.77", Now: now}); err != nil {
		t.Fatal(err)
	}
	if err := mes.WriteBundle(&patch, del, nil, nil, mes.BundleOptions{}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		o       mes.Options
		d       *docbridge.Document
		want    []byte
		wantErr error
	}{
		{"mes-api by default", mes.Options{}, d, docref.Bytes(), nil},
		{"mes-api delete has no body", mes.Options{Profile: mes.ProfileMESAPI}, del, nil, mes.ErrNoBody},
		{"pdsm-iti65", mes.Options{Profile: mes.ProfilePDSm, SourceID: "1.2.250.1.999.77", Now: now}, d, bundle.Bytes(), nil},
		{"pdsm-iti65 delete", mes.Options{Profile: mes.ProfilePDSm}, del, patch.Bytes(), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got bytes.Buffer
			err := mes.NewClient(tt.o).WriteBody(&got, tt.d, bytes.NewReader(content), nil)
			if (tt.wantErr == nil && err != nil) || !errors.Is(err, tt.wantErr) {
				t.Fatalf("WriteBody error = %v, want %v", err, tt.wantErr)
			}
			if !bytes.Equal(got.Bytes(), tt.want) {
				t.Errorf("WriteBody wrote %d bytes that differ from the profile's %d", got.Len(), len(tt.want))
			}
		})
	}
	err := mes.NewClient(mes.Options{Profile: "xds"}).WriteBody(new(bytes.Buffer), d, bytes.NewReader(content), nil)
	if got := docbridge.ReasonOf(err); got != docbridge.Internal {
		t.Errorf("unknown profile: reason %q (%v), want internal", got, err)
	}
}
