package mes_test

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"io"
	"runtime"
	"testing"

	"github.com/docbridge/docbridge/mes"
	"github.com/docbridge/docbridge/mes/messim"
)

// patternReader yields n deterministic, incompressible-looking bytes without
// holding them.
type patternReader struct {
	n, off int64
	x      uint64
}

func newPattern(n int64) *patternReader { return &patternReader{n: n, x: 0x9e3779b97f4a7c15} }

func (r *patternReader) Read(p []byte) (int, error) {
	if r.off >= r.n {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), r.n-r.off)]
	for i := range p {
		r.x ^= r.x << 13
		r.x ^= r.x >> 7
		r.x ^= r.x << 17
		p[i] = byte(r.x)
	}
	r.off += int64(len(p))
	return len(p), nil
}

// TestDeliverLargeContentBoundedMemory sends 50 MB through the client and
// the simulator (which stores content in a directory), with each profile,
// and checks that the whole process allocated a small fraction of it:
// neither side holds the content or its base64, as a DocumentReference or
// as an ITI-65 bundle.
func TestDeliverLargeContentBoundedMemory(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("large transfer; the race detector inflates allocations")
	}
	const size = 50 << 20
	h := sha1.New()
	io.Copy(h, newPattern(size))
	for i, profile := range []string{mes.ProfileMESAPI, mes.ProfilePDSm} {
		t.Run(profile, func(t *testing.T) {
			d := testDoc(fmt.Sprintf("urn:oid:1.2.250.1.999.11.%d", i), nil)
			d.Size, d.SHA1 = size, hex.EncodeToString(h.Sum(nil))
			e := newEnv(t, messim.Options{Dir: t.TempDir()})
			e.client = mes.NewClient(mes.Options{BaseURL: e.base, Profile: profile, SourceID: sourceID})

			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			r, err := e.client.Deliver(context.Background(), d, newPattern(size), e.pA)
			runtime.ReadMemStats(&after)
			if err != nil {
				t.Fatalf("Deliver: %v", err)
			}
			if r.Duplicate || r.MESID == "" {
				t.Errorf("Receipt = %+v", r)
			}
			docs := e.sim.Documents()
			if len(docs) != 1 || docs[0].SHA1 != d.SHA1 || docs[0].Size != size || docs[0].Profile != profile {
				t.Fatalf("simulator holds %+v, want one document of %d bytes with SHA-1 %s, through %s", docs, size, d.SHA1, profile)
			}
			alloc := after.TotalAlloc - before.TotalAlloc
			inuse := int64(after.HeapInuse) - int64(before.HeapInuse)
			t.Logf("content %d MiB: allocated %.2f MiB in total, heap in use %+.2f MiB", size>>20, float64(alloc)/(1<<20), float64(inuse)/(1<<20))
			if limit := uint64(size / 16); alloc > limit {
				t.Errorf("allocated %d bytes for a %d-byte document, want under %d", alloc, size, limit)
			}
		})
	}
}
