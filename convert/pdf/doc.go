// Package pdf converts a bare PDF into one normalised docbridge.Document.
// A PDF carries no metadata docbridge can trust, so they come from beside
// it: its sidecar, <name>.json or <name>.yaml with the docs/architecture.md §11 fields
// (see Sidecar), or its file name, through the first pattern of
// mappings' filename-patterns.yaml that matches it (<INS>_<type>_<date>.pdf
// by default). A PDF with neither is refused with missing-metadata.
//
// The PDF is sent as it is and may be big (hundreds of MB): Convert reads
// it once, in 64 KiB chunks, to hash it and to run the light checks — a
// %PDF- header, a %%EOF marker at the end (else it is truncated), and the
// PDF/A declaration of its XMP metadata when the installation requires
// PDF/A. Only a small PDF (StructureLimit) is also read by pdfcpu.
//
// Convert is a pure function over its reader: no file, clock or global.
// Messages never quote the file name or a sidecar value, which may be
// patient data.
package pdf
