// Package bulk carries a whole practice archive — a retiring physician's
// files — into docbridge: `docbridge bulk DIR`.
//
// The archive is walked once, streaming (filepath.WalkDir, a few files in
// memory at a time). Every regular file is one input: CDA, HL7 v2, FHIR,
// PDF or anything else, which is refused with its reason. A file that
// cannot be read (a dangling link, an I/O error, no permission) is an
// Unreadable outcome in the report, never skipped. An optional CSV index
// (see ReadIndex: English or French headers, ',' or ';', UTF-8 or
// Windows-1252) is validated and joined to the files; the index file and
// the profile file are not inputs.
//
// A PDF is converted with its origin, as the daemon converts a dropped
// one: its base name (for mappings' filename patterns) and its sidecar.
// The sidecar of X.pdf is found as the drop folder finds it (DropSidecar):
// X.json, X.yaml or X.yml beside it, in that order, each extension in any case,
// a regular file, a .json naming a FHIR "resourceType" being an input of
// its own; then, as practice software exports them, X.pdf.json, X.pdf.yaml
// or X.pdf.yml. The sidecar a PDF takes is not an input of its own (it is
// counted in Summary.Sidecars); any other candidate is. A sidecar over
// docbridge.MaxSidecar or empty fails its PDF (too-large, malformed); one
// that cannot be read makes its PDF unreadable. A PDF without a sidecar
// file but with a row in the index takes the row, with the run's practice
// profile (Options.Profile), as its sidecar (see rowSidecar), which the
// run stores with the input as Envelope.Sidecar. A PDF with both keeps its
// sidecar file, unless the two name the patient differently: it then
// stops in review (identity-mismatch) before conversion. A PDF with
// neither sidecar, row nor a name a pattern matches fails with
// missing-metadata. Every file is converted with the run's profile as its
// origin's only profile.
//
// DryRun converts, checks and matches every file against the store's
// pairings without writing to the store or contacting MES, and says what
// would happen. Run hands each file to a docbridge.Sink (the durable
// pipeline), which deduplicates identical inputs: running it again after
// an interruption continues where it stopped and sends nothing twice, and
// a file whose sidecar or index row changed is a new input, converted
// again. Run then
// waits until every document has settled and reads the final states from
// the store.
//
// Memory stays flat in the archive's size: the report holds aggregate
// counters only (bounded maps), while the per-file, per-patient and
// per-refusal rows live in a temporary SQLite database (the scratch) in a
// directory the caller chooses, removed by Result.Close. That database
// holds patient data, as do the report files (written 0600). Logs and
// progress lines carry counts only, never paths: practice software names
// folders after patients.
package bulk
