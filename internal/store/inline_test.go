package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/docbridge/docbridge"
)

// TestContentInlineAndFile: inputs and documents' content at, below and
// over InlineMax are stored inline (a contents row, no file) or as a
// content file, and both forms read back identically through ReadContent
// and OpenContent (also as an io.ReaderAt, which the streaming converters
// use), on both engines.
func TestContentInlineAndFile(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e testEngine) {
		tests := []struct {
			name   string
			size   int
			inline bool
		}{
			{"empty", 0, true},
			{"small", 300, true},
			{"at the limit", InlineMax, true},
			{"one byte over", InlineMax + 1, false},
			{"big", 3*InlineMax + 17, false},
		}
		ctx := context.Background()
		s := e.open(t, Options{})
		for i, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				body := make([]byte, tc.size)
				rand.Read(body)
				a := accept(t, s, body)
				doc := make([]byte, tc.size)
				rand.Read(doc)
				d := newDoc("urn:oid:1.2.3.7."+string(rune('a'+i)), string(doc))
				refs, err := s.RecordConversion(ctx, a.ID, []NewDocument{{Doc: d, State: docbridge.Converted}})
				if err != nil {
					t.Fatalf("RecordConversion: %v", err)
				}
				if got := document(t, s, refs[0].ID).SHA256; got != d.SHA256 {
					t.Fatalf("document SHA256 = %s, want %s", got, d.SHA256)
				}
				for _, c := range []struct {
					what string
					want []byte
					sha  string
				}{{"input", body, a.SHA256}, {"document", doc, d.SHA256}} {
					if got := isInline(t, s, c.sha); got != tc.inline {
						t.Errorf("%s: inline = %v, want %v", c.what, got, tc.inline)
					}
					_, ferr := os.Stat(filepath.Join(s.dir, contentDir, c.sha[:2], c.sha))
					if hasFile := ferr == nil; hasFile == tc.inline {
						t.Errorf("%s: content file present = %v, want %v", c.what, hasFile, !tc.inline)
					}
					checkReadsBack(t, s, c.sha, c.want)
				}
			})
		}
	})
}

// checkReadsBack checks that the content sha reads back as want through
// ReadContent, OpenContent's Read and its ReadAt.
func checkReadsBack(t *testing.T, s *Store, sha string, want []byte) {
	t.Helper()
	b, err := s.ReadContent(sha)
	if err != nil || !bytes.Equal(b, want) {
		t.Errorf("ReadContent(%s) = %d bytes, %v; want the %d bytes stored", sha[:8], len(b), err, len(want))
	}
	rc, err := s.OpenContent(sha)
	if err != nil {
		t.Fatalf("OpenContent: %v", err)
	}
	defer rc.Close()
	ra, ok := rc.(io.ReaderAt)
	if !ok {
		t.Fatalf("OpenContent returned a %T, not an io.ReaderAt", rc)
	}
	if len(want) > 1 {
		tail := make([]byte, len(want)/2)
		if _, err := ra.ReadAt(tail, int64(len(want)-len(tail))); err != nil || !bytes.Equal(tail, want[len(want)-len(tail):]) {
			t.Errorf("ReadAt of the second half: %v, or other bytes", err)
		}
	}
	if b, err := io.ReadAll(rc); err != nil || !bytes.Equal(b, want) {
		t.Errorf("OpenContent read %d bytes, %v; want the %d bytes stored", len(b), err, len(want))
	}
}

// isInline reports whether the content sha is a row of the contents table.
func isInline(t *testing.T, s *Store, sha string) bool {
	t.Helper()
	var n int
	if err := s.r.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM contents WHERE sha256 = ?`, sha).Scan(&n); err != nil {
		t.Fatalf("count contents: %v", err)
	}
	return n == 1
}

// TestContentFileStoredBefore: content a docbridge before schema 10 stored
// as a file (no contents row, whatever its size) still reads back, and an
// input of the same bytes accepted again is a duplicate of the old one.
func TestContentFileStoredBefore(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e testEngine) {
		ctx := context.Background()
		s := e.open(t, Options{})
		body := []byte("<ClinicalDocument/> stored as a file before schema 10")
		a := accept(t, s, body)
		// What an older docbridge left: the file, and no row.
		dir, err := s.putBytes(ctx, body, a.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		if err := syncDir(dir); err != nil {
			t.Fatal(err)
		}
		if _, err := s.w.ExecContext(ctx, `DELETE FROM contents WHERE sha256 = ?`, a.SHA256); err != nil {
			t.Fatal(err)
		}
		if isInline(t, s, a.SHA256) {
			t.Fatal("test setup: the contents row is still there")
		}
		checkReadsBack(t, s, a.SHA256, body)
		if b := accept(t, s, body); !b.Duplicate || b.ID != a.ID {
			t.Errorf("Accept again = %+v, want a duplicate of input %d", b, a.ID)
		}
		if _, err := s.ReadContent(hexSHA256([]byte("never stored"))); err == nil {
			t.Error("ReadContent of content never stored: no error")
		}
	})
}

// TestAcceptConvertedReadsInlineInput: the conversion AcceptConverted runs
// before its commit reads the inline input's bytes through the store (as
// the pipeline's converter does), and they are gone from memory once the
// call returns (only the committed row holds them).
func TestAcceptConvertedReadsInlineInput(t *testing.T) {
	s := sqliteT.open(t, Options{})
	body := []byte("<ClinicalDocument/> converted before its commit")
	var read []byte
	c, err := s.AcceptConverted(context.Background(), envelope(body), func(in Input) (Conversion, error) {
		var err error
		if read, err = s.ReadContent(in.SHA256); err != nil {
			return Conversion{}, err
		}
		return Conversion{Docs: []NewDocument{{Doc: inputDoc("urn:oid:1.2.3.8", string(body)), State: docbridge.Converted}}}, nil
	})
	if err != nil || c.Deferred != nil {
		t.Fatalf("AcceptConverted = %+v, %v", c, err)
	}
	if !bytes.Equal(read, body) {
		t.Errorf("the conversion read %q, want the input", read)
	}
	if _, held := s.pending.get(c.SHA256); held {
		t.Error("the input's bytes are still held in memory after the commit")
	}
	if !isInline(t, s, c.SHA256) {
		t.Error("the input is not stored inline")
	}
	checkReadsBack(t, s, c.SHA256, body)
}

// TestAcceptConvertedBase64Reference: a document whose content the inline
// input carries in base64 (the CDA in an HL7 message) is not stored a
// second time: its contents row is a reference into the input, it reads
// back as exactly the document's bytes, and a reference that no longer
// decodes to them (here edited in place) is an error, never other bytes.
func TestAcceptConvertedBase64Reference(t *testing.T) {
	forEachEngine(t, func(t *testing.T, e testEngine) {
		s := e.open(t, Options{})
		cda := "<ClinicalDocument>the CDA carried in OBX-5</ClinicalDocument>"
		other := "<ClinicalDocument>not in the message</ClinicalDocument>"
		msg := []byte("MSH|^~\\&|LIS\rOBX|1|ED|||^TEXT^XML^Base64^" + base64.StdEncoding.EncodeToString([]byte(cda)) + "||||||F\r")
		c, err := s.AcceptConverted(context.Background(), envelope(msg), func(Input) (Conversion, error) {
			return Conversion{Docs: []NewDocument{
				{Doc: newDoc("urn:oid:1.2.3.11", cda), State: docbridge.Converted},
				{Doc: newDoc("urn:oid:1.2.3.12", other), State: docbridge.Converted},
			}}, nil
		})
		if err != nil || c.Deferred != nil || c.State != docbridge.Converted {
			t.Fatalf("AcceptConverted = %+v, %v", c, err)
		}
		for _, tc := range []struct {
			content string
			ref     bool
		}{{cda, true}, {other, false}} {
			sha := hexSHA256([]byte(tc.content))
			var body []byte
			var of string
			if err := s.r.QueryRow(`SELECT body, base64_of FROM contents WHERE sha256 = ?`, sha).Scan(&body, &of); err != nil {
				t.Fatalf("contents row of %q: %v", tc.content, err)
			}
			if ref := of == c.SHA256 && len(body) == 0; ref != tc.ref {
				t.Errorf("%q stored as a reference into the input = %v, want %v (body %d bytes, base64_of %q)", tc.content, ref, tc.ref, len(body), of)
			}
			checkReadsBack(t, s, sha, []byte(tc.content))
		}
		sha := hexSHA256([]byte(cda))
		if _, err := s.w.Exec(`UPDATE contents SET base64_at = base64_at + 4 WHERE sha256 = ?`, sha); err != nil {
			t.Fatal(err)
		}
		if b, err := s.ReadContent(sha); err == nil {
			t.Errorf("ReadContent of a reference that decodes to other bytes = %q, want an error", b)
		}
	})
}
