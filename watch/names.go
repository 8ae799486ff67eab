package watch

import (
	"io/fs"
	"os"
	"path/filepath"
	"unicode/utf8"

	"github.com/docbridge/docbridge"
)

// maxClaimName is the longest name a file keeps when it is claimed. What
// docbridge adds to a claimed name must still fit in a name of 255 bytes
// (NAME_MAX): the suffix moveInto and movePair add on a collision
// (".<unix nanoseconds>", 20 bytes), ".reason.json" (12) and the
// temporary name of writeFileSync ("." before, ".tmp" after: 5).
const maxClaimName = 255 - 20 - 12 - 5

// shortName returns name unchanged when it is at most maxClaimName bytes,
// and otherwise a deterministic shorter name: the start of name (cut on a
// UTF-8 boundary), "~", the name's docbridge.Ref and its extension (when
// at most 16 bytes), so the format stays recognisable and two long names
// that share their start stay apart.
func shortName(name string) string {
	if len(name) <= maxClaimName {
		return name
	}
	ext := filepath.Ext(name)
	if len(ext) > 16 {
		ext = ""
	}
	tag := "~" + docbridge.Ref(name)
	keep := maxClaimName - len(tag) - len(ext)
	for keep > 0 && !utf8.RuneStart(name[keep]) {
		keep--
	}
	return name[:keep] + tag + ext
}

// pathless returns err with the paths an os error carries (*fs.PathError,
// *os.LinkError) replaced by the docbridge.Ref of their base names: a
// dropped file's name may hold patient data and errors end up in logs. The
// error keeps its type and its cause, so errors.Is(err, fs.ErrNotExist)
// still holds. Other errors are returned as they are: call it on what the
// os package returned, before wrapping.
func pathless(err error) error {
	switch e := err.(type) {
	case *fs.PathError:
		return &fs.PathError{Op: e.Op, Path: docbridge.Ref(filepath.Base(e.Path)), Err: e.Err}
	case *os.LinkError:
		return &os.LinkError{Op: e.Op, Old: docbridge.Ref(filepath.Base(e.Old)), New: docbridge.Ref(filepath.Base(e.New)), Err: e.Err}
	}
	return err
}
