package watch

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/sidecarname"
)

// ReasonFile is the content of <name>.reason.json beside a refused file.
type ReasonFile struct {
	File    string           `json:"file"`
	Code    docbridge.Reason `json:"code"`
	Message string           `json:"message"`
	Input   int64            `json:"input,omitempty"`
	At      time.Time        `json:"at"`
}

// take hands one claimed file, c its candidate, to the sink and moves it
// to done/ or failed/. An error means it must be tried again later; the
// file stays in the processing folder. It runs on a worker goroutine
// (claim.go): it touches only c and the file's own names, and several
// takes run at once.
func (f *Folder) take(ctx context.Context, name string, c *candidate) error {
	log := f.o.Log.With().Str("intake", f.o.Name).Str("file_ref", docbridge.Ref(name)).Logger()
	path := filepath.Join(f.o.Processing, name)
	var side string // the PDF's sidecar, in processing/
	var sidecar []byte
	if sidecarname.IsPDF(name) {
		orig := c.orig
		c.orig = "" // the drop folder is looked at on the first attempt only
		var err error
		if side, sidecar, err = f.claimSidecar(name, orig); err != nil {
			if r := docbridge.ReasonOf(err); r == docbridge.TooLarge || r == docbridge.ForbiddenConstruct {
				return f.refuse(name, side, c, 0, r, docbridge.MessageOf(err))
			}
			if side == "" {
				c.orig = orig
			}
			return err
		}
	}
	fh, err := openClaimed(path, c.claimedAs)
	if docbridge.ReasonOf(err) == docbridge.ForbiddenConstruct {
		return f.refuse(name, side, c, 0, docbridge.ForbiddenConstruct, docbridge.MessageOf(err))
	}
	if err != nil {
		return fmt.Errorf("open claimed file: %w", err)
	}
	acc, err := f.o.Sink.Accept(ctx, &docbridge.Envelope{
		Intake: f.o.Name, Source: name, ReceivedAt: f.o.Now(), Body: fh, Sidecar: sidecar,
	})
	fh.Close()
	switch reason := docbridge.ReasonOf(err); {
	case err == nil && acc.State == docbridge.Failed:
		return f.refuse(name, side, c, acc.ID, acc.Reason, acc.Message)
	case err == nil:
		dst, err := f.movePair(f.o.Processing, name, side, f.o.Done, f.claimedFrom(c)...)
		if err != nil {
			return fmt.Errorf("stored as input %d, but cannot move the file to done/: %w", acc.ID, err)
		}
		log.Info().Int64("input", acc.ID).Bool("duplicate", acc.Duplicate).Str("to", filepath.Base(filepath.Dir(dst))).Msg("file taken")
		return nil
	case reason == docbridge.TooLarge:
		return f.refuse(name, side, c, 0, reason, docbridge.MessageOf(err))
	default:
		return fmt.Errorf("cannot store the dropped file now: %w", err)
	}
}

// refuse moves a refused file (and its sidecar, side, if any) to failed/
// and writes its reason file there; c is its candidate (nil: a file whose
// claim is durable).
func (f *Folder) refuse(name, side string, c *candidate, input int64, reason docbridge.Reason, msg string) error {
	dst, err := f.movePair(f.o.Processing, name, side, f.o.Failed, f.claimedFrom(c)...)
	if err != nil {
		return fmt.Errorf("move the refused file to failed/: %w", err)
	}
	rf := ReasonFile{File: filepath.Base(dst), Code: reason, Message: msg, Input: input, At: f.o.Now().UTC()}
	if err := f.writeFileSync(dst+".reason.json", rf); err != nil {
		f.o.Log.Error().Err(err).Str("intake", f.o.Name).Int64("input", input).Msg("cannot write the reason file")
	}
	f.o.Log.Warn().Str("intake", f.o.Name).Str("file_ref", docbridge.Ref(name)).Int64("input", input).Str("reason", string(reason)).Msg("file refused; moved to failed/")
	return nil
}

// moveInto renames path into dir under name, with a suffix when name is
// there already, and syncs both directories, and the folders also whose
// earlier renames must be durable with it (syncMove, grouped with
// concurrent moves), so the move survives a crash.
// Its errors carry no path (pathless).
func (f *Folder) moveInto(path, dir, name string, also ...string) (string, error) {
	dst, err := f.renameInto(path, dir, name)
	if err != nil {
		return "", err
	}
	return dst, f.syncs.syncMove(dir, append([]string{filepath.Dir(path)}, also...)...)
}

// renameInto is moveInto without the fsyncs: the caller makes the rename
// durable.
func (f *Folder) renameInto(path, dir, name string) (string, error) {
	dst := filepath.Join(dir, name)
	if _, err := os.Lstat(dst); err == nil {
		ext := filepath.Ext(name)
		dst = filepath.Join(dir, fmt.Sprintf("%s.%d%s", strings.TrimSuffix(name, ext), time.Now().UnixNano(), ext))
	}
	if err := os.Rename(path, dst); err != nil {
		return "", fmt.Errorf("move %s: %w", docbridge.Ref(name), pathless(err))
	}
	return dst, nil
}

// writeFileSync writes v as JSON to path atomically: a temporary file in
// the same folder, fsynced, then renamed, so a reader never sees half of it.
// Its errors carry no path (pathless).
func (f *Folder) writeFileSync(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	fh, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		return pathless(err)
	}
	_, err = fh.Write(append(b, '\n'))
	if err == nil {
		err = fh.Sync()
	}
	if cerr := fh.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return pathless(err)
	}
	return f.syncs.sync(filepath.Dir(path))
}
