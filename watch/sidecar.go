package watch

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/sidecarname"
)

// DefaultSidecarGrace is how long a PDF without sidecar waits for one
// when FolderOptions.SidecarGrace is 0.
const DefaultSidecarGrace = 3 * time.Second

// DefaultSidecarMax is how long a sidecar waits for its PDF when
// FolderOptions.SidecarMax is 0.
const DefaultSidecarMax = 10 * time.Minute

// The names of a PDF and of its sidecar follow package sidecarname (the
// rule bulk and inspect follow too); the drop folder does not read the
// names practice software exports (X.pdf.json), which only bulk reads.

// sidecarIn returns the name of the sidecar of the PDF pdf in dir, or "":
// the first of sidecarname.Beside that is a regular file. A .json that is
// a FHIR resource is not a sidecar.
func sidecarIn(dir, pdf string) string {
	for _, name := range sidecarname.Beside(pdf) {
		fi, err := os.Lstat(filepath.Join(dir, name))
		if err == nil && fi.Mode().IsRegular() && !fhirJSON(dir, name) {
			return name
		}
	}
	return ""
}

// fhirJSON reports whether name in dir is a .json file that is a FHIR
// resource, an input of its own.
func fhirJSON(dir, name string) bool {
	return strings.EqualFold(filepath.Ext(name), ".json") && fhirResource(filepath.Join(dir, name))
}

// pdfIn reports whether the PDF a sidecar belongs to is in dir, its
// extension in any case (sidecarname.PDFs).
func pdfIn(dir, sidecar string) bool {
	for _, pdf := range sidecarname.PDFs(sidecar) {
		if _, err := os.Lstat(filepath.Join(dir, pdf)); err == nil {
			return true
		}
	}
	return false
}

// waitsForPair reports whether a ready file of the drop folder must wait
// for its pair (see the package comment):
//   - a sidecar waits for its PDF, which takes it along; a .json that is a
//     FHIR resource (it names a resourceType) is an input of its own, never
//     a sidecar;
//   - a PDF whose sidecar is there waits until the sidecar is complete;
//   - a PDF without sidecar waits SidecarGrace for one, then goes alone.
func (f *Folder) waitsForPair(name string, c *candidate, now time.Time) bool {
	switch {
	case sidecarname.IsPDF(name):
		if side := sidecarIn(f.o.Dir, name); side != "" {
			sc, seen := f.files[side]
			return seen && !f.settled(sc, now)
		}
		if c.pairSince.IsZero() {
			c.pairSince = now
		}
		return now.Sub(c.pairSince) < f.o.SidecarGrace
	case sidecarname.HasSidecarExt(name):
		if !c.pairSince.IsZero() {
			if now.Sub(c.pairSince) >= f.o.SidecarMax {
				f.refuseLoneSidecar(name)
			}
			return true // known to be a sidecar
		}
		if fhirJSON(f.o.Dir, name) {
			return false
		}
		c.pairSince = now
		f.o.Log.Debug().Str("intake", f.o.Name).Str("file_ref", docbridge.Ref(name)).Msg("sidecar waits for its PDF")
		return true
	}
	return false
}

// refuseLoneSidecar moves a sidecar whose PDF never came to failed/ with
// its reason file, so that it does not wait unseen for ever (a PDF lost on
// the way, or taken alone after a crash between the two claims).
func (f *Folder) refuseLoneSidecar(name string) {
	claimed, err := f.claim(name)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			f.o.Log.Error().Err(err).Str("intake", f.o.Name).Str("file_ref", docbridge.Ref(name)).Msg("cannot claim a sidecar whose PDF never came")
		}
		return
	}
	delete(f.files, name)
	msg := fmt.Sprintf("a PDF sidecar whose PDF (the same name, .pdf) did not come within %s: drop the sidecar first, then the PDF, or remove the sidecar", f.o.SidecarMax)
	if err := f.refuse(claimed, "", nil, 0, docbridge.MissingMetadata, msg); err != nil {
		f.claimed[claimed] = &candidate{}
		f.o.Log.Error().Err(err).Str("intake", f.o.Name).Str("file_ref", docbridge.Ref(name)).Msg("cannot refuse a sidecar whose PDF never came")
	}
}

// settled reports whether a file has seen no event for the quick window,
// and for the settle period when it was written in place.
func (f *Folder) settled(c *candidate, now time.Time) bool {
	quiet := now.Sub(c.lastEvent)
	return quiet >= f.o.Quick && (!c.wrote || quiet >= f.o.Settle)
}

// fhirResource reports whether a JSON file names a resourceType in its
// first 64 KiB: it is then a FHIR input, not a sidecar.
func fhirResource(path string) bool {
	fh, err := openRegular(path)
	if err != nil {
		return false
	}
	defer fh.Close()
	head := make([]byte, 64<<10)
	n, _ := io.ReadFull(fh, head)
	return bytes.Contains(head[:n], []byte(`"resourceType"`))
}

// claimSidecar moves the sidecar of a claimed PDF into the processing
// folder beside it, under the PDF's claimed stem, and reads it. The
// sidecar is looked for beside the PDF in processing, and, when orig is
// not "", in the drop folder under the PDF's name there: orig is given
// only on the first attempt right after this run claimed the PDF, so that
// a PDF found in processing after a restart, or tried again, never takes a
// sidecar dropped since for a new file of the same name. It returns the
// sidecar's name in processing ("" when the PDF has none). A sidecar over
// docbridge.MaxSidecar is an *docbridge.Error of reason TooLarge; other
// errors mean the pair must be tried again later.
func (f *Folder) claimSidecar(claimed, orig string) (string, []byte, error) {
	name := sidecarIn(f.o.Processing, claimed)
	if name == "" {
		found := ""
		if orig != "" {
			found = sidecarIn(f.o.Dir, orig)
		}
		if found == "" {
			return "", nil, nil
		}
		name = sidecarname.Stem(claimed) + filepath.Ext(found)
		if _, err := os.Lstat(filepath.Join(f.o.Processing, name)); err == nil {
			return "", nil, fmt.Errorf("claim sidecar: %s is already in processing/", docbridge.Ref(name))
		}
		if err := os.Rename(filepath.Join(f.o.Dir, found), filepath.Join(f.o.Processing, name)); err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return "", nil, nil // gone since: the PDF goes alone
			}
			return "", nil, fmt.Errorf("claim sidecar: %w", pathless(err))
		}
	}
	b, err := readSidecar(filepath.Join(f.o.Processing, name))
	return name, b, err
}

// readSidecar reads a sidecar of at most docbridge.MaxSidecar bytes,
// opened as openRegular does (a sidecar that is not a regular file is
// refused with ForbiddenConstruct).
func readSidecar(path string) ([]byte, error) {
	fh, err := openRegular(path)
	if err != nil {
		return nil, fmt.Errorf("read sidecar: %w", err)
	}
	defer fh.Close()
	b, err := io.ReadAll(io.LimitReader(fh, docbridge.MaxSidecar+1))
	if err != nil {
		return nil, fmt.Errorf("read sidecar: %w", pathless(err))
	}
	if len(b) > docbridge.MaxSidecar {
		return nil, docbridge.Errorf(docbridge.TooLarge,
			"the PDF's sidecar is over %d bytes: a sidecar holds the document's metadata only", docbridge.MaxSidecar)
	}
	return b, nil
}

// pairedSidecar reports whether name, in the processing folder, is the
// sidecar of a PDF there: it is taken with that PDF, not on its own.
func (f *Folder) pairedSidecar(name string) bool { return pairedIn(f.o.Processing, name) }

// pairedIn reports whether name, in dir, is the sidecar of a PDF there. A
// .json that is a FHIR resource is an input of its own, never a sidecar.
func pairedIn(dir, name string) bool {
	return sidecarname.HasSidecarExt(name) && pdfIn(dir, name) && !fhirJSON(dir, name)
}

// movePair moves a claimed PDF and its sidecar (side, "" for none) into
// dir under one stem, the sidecar first: after a crash between the two
// renames the PDF is taken again, and the store knows it. A PDF, even
// alone, gets a stem no file of dir has, so that in the drop folder
// (orphan adoption) it never meets a sidecar that is not its own. Any
// other file (pdf not a PDF, side "") is moved as moveInto does. The
// renames are durable when it returns, and so are the earlier renames out
// of the folders also (syncMove).
func (f *Folder) movePair(processing, pdf, side, dir string, also ...string) (string, error) {
	if side == "" && !sidecarname.IsPDF(pdf) {
		return f.moveInto(filepath.Join(processing, pdf), dir, pdf, also...)
	}
	st := sidecarname.Stem(pdf)
	// A stem is taken when dir has a PDF or any sidecar under it: in the
	// drop folder (orphan adoption) either would pair with the wrong half.
	taken := func(s string) bool {
		var names []string
		for _, ext := range []string{filepath.Ext(pdf), filepath.Ext(side)} {
			names = append(names, s+ext, s+strings.ToLower(ext), s+strings.ToUpper(ext))
		}
		for _, name := range append(names, sidecarname.Beside(s+".pdf")...) {
			if _, err := os.Lstat(filepath.Join(dir, name)); err == nil {
				return true
			}
		}
		return false
	}
	if taken(st) {
		st = fmt.Sprintf("%s.%d", st, time.Now().UnixNano())
	}
	if side != "" {
		if err := os.Rename(filepath.Join(processing, side), filepath.Join(dir, st+filepath.Ext(side))); err != nil {
			return "", fmt.Errorf("move %s: %w", docbridge.Ref(side), pathless(err))
		}
	}
	dstPDF := filepath.Join(dir, st+filepath.Ext(pdf))
	if err := os.Rename(filepath.Join(processing, pdf), dstPDF); err != nil {
		return "", fmt.Errorf("move %s: %w", docbridge.Ref(pdf), pathless(err))
	}
	return dstPDF, f.syncs.syncMove(dir, append([]string{processing}, also...)...)
}
