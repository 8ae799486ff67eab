package bulk

import (
	"io"

	"github.com/docbridge/docbridge"
)

// convertFunc adapts a function of the whole file to Converter, for the
// tests' fake converters.
type convertFunc func(raw []byte, origin docbridge.Origin) (docbridge.Format, []*docbridge.Document, error)

// Convert reads the file and calls f.
func (f convertFunc) Convert(r io.ReaderAt, size int64, origin docbridge.Origin) (docbridge.Format, []*docbridge.Document, error) {
	raw, err := io.ReadAll(io.NewSectionReader(r, 0, size))
	if err != nil {
		return "", nil, docbridge.Wrap(docbridge.Internal, "read the file", err)
	}
	return f(raw, origin)
}
