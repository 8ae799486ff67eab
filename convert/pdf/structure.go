package pdf

import (
	"io"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
)

// StructureLimit is the largest PDF whose structure is also read, with
// pdfcpu's relaxed validation: pdfcpu holds the cross-reference table and
// the objects it reads in memory, so bigger PDFs get the streaming checks
// only.
const StructureLimit = 4 << 20

// readable reports whether pdfcpu reads the PDF's structure (relaxed
// validation: cross-reference table, objects, page tree). The
// configuration is built here, not with model.NewDefaultConfiguration,
// which would write pdfcpu's configuration directory to disk; it is
// offline, so validation never reaches the network.
func readable(r io.ReaderAt, size int64) bool {
	conf := &model.Configuration{
		Reader15:       true,
		ValidationMode: model.ValidationRelaxed,
		Offline:        true,
		Limits:         model.DefaultResourceLimits(),
		Eol:            "\n",
	}
	conf.Limits.MaxRecursionDepth = 64
	return api.Validate(io.NewSectionReader(r, 0, size), conf) == nil
}
