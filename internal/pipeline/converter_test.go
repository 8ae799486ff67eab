package pipeline

import (
	"io"

	"github.com/docbridge/docbridge"
)

// ConverterFunc adapts a function of the whole input to Converter, for
// the tests' fake converters: it reads the stored input whole and ignores
// its origin.
type ConverterFunc func(raw []byte) (docbridge.Format, []*docbridge.Document, error)

// Convert reads the input and calls f.
func (f ConverterFunc) Convert(r io.ReaderAt, size int64, _ docbridge.Origin) (docbridge.Format, []*docbridge.Document, error) {
	raw, err := io.ReadAll(io.NewSectionReader(r, 0, size))
	if err != nil {
		return "", nil, docbridge.Wrap(docbridge.Internal, "read the stored input", err)
	}
	return f(raw)
}
