package convert

// STUB: the contract cmd/ and internal/pipeline are written against.

import (
	"time"

	"github.com/docbridge/docbridge"
	"github.com/docbridge/docbridge/mappings"
)

// Options are what every converter needs.
type Options struct {
	Mappings *mappings.Set
	Location *time.Location // for source times without an offset; nil means Europe/Paris
	MaxSize  int64          // inputs over this are TooLarge; 0 means 512 MiB
}

// Detect names the format of raw from its first bytes, or returns an
// *docbridge.Error with UnsupportedFormat (or TooLarge).
func Detect(raw []byte) (docbridge.Format, error) { panic("unimplemented") }

// Convert detects raw's format and converts it into normalised documents.
// It is a pure function. An error means the whole input is refused
// (*docbridge.Error: Malformed, UnsupportedFormat, ForbiddenConstruct,
// TooLarge); problems of one document are in its Problems.
func Convert(raw []byte, o Options) (docbridge.Format, []*docbridge.Document, error) {
	panic("unimplemented")
}
