// Package watch holds docbridge's intakes. This package is the drop-folder
// intake; watch/mllp and watch/fhirhttp hold the network ones.
//
// The drop-folder contract, for integrators:
//
//   - Write the file elsewhere on the same filesystem (or under a temporary
//     name in the folder: ".name", "name.tmp", "name.part") and rename it into
//     the folder: it is taken at once. A file written in place is taken once
//     its size and modification time have not changed for the settle period.
//   - A ready file is claimed by an atomic rename into processing/<instance>/,
//     so several docbridge instances can share one folder and each file is
//     taken once. Up to FolderOptions.Concurrency files are taken at once,
//     each by its own goroutine; a file is claimed only when one is free.
//     A move to done/ or failed/ is durable (fsync of the new folder, then
//     of processing/ and of the drop folder the claim took it from)
//     before the file counts as moved; until then a crash leaves it in the
//     drop folder or in processing/, taken again. The directory fsyncs of
//     files taken together are shared (dirSyncer).
//     Once docbridge has durably stored it, it moves it to done/
//     — or to failed/ when the input itself is refused, with
//     <name>.reason.json beside it giving the reason code and a sentence
//     saying what to fix.
//   - A file docbridge could not store (disk full, database unavailable) or
//     move stays in processing/ and is tried again with a growing delay; it
//     never blocks the other files. After a crash, an instance finishes what
//     it had claimed. Each instance keeps a lock (flock) on its processing
//     folder while it runs; the files of an instance that is not running are
//     given back to the drop folder by the others (at start and at each
//     rescan), so a dead instance's claims are not stranded. Two running
//     instances with the same name are refused.
//   - A PDF carries its metadata in a sidecar: <name>.json or <name>.yaml
//     (or .yml) beside <name>.pdf, with the fields of `docbridge inspect
//     --json` (docs/architecture.md §11; see convert/pdf.Sidecar). Drop the sidecar
//     first, then rename the PDF in: the two are one input, claimed, stored
//     and moved to done/ or failed/ together (under one name; the reason
//     file is the PDF's). A sidecar is never taken on its own: it waits for
//     its PDF (a .json that names a FHIR resourceType is an input of its
//     own), up to SidecarMax (10 min by default), then goes to failed/ with
//     missing-metadata. A PDF that comes first waits a short grace (SidecarGrace, 3 s by
//     default) for its sidecar, then goes alone: its name must then match a
//     filename pattern of the mappings (<INS>_<type>_<date>.pdf by default),
//     or it is refused with missing-metadata. The PDF is claimed first and
//     its sidecar right after; a PDF found claimed at start never takes a
//     sidecar from the drop folder (it may be a newer file's): it goes
//     alone.
//   - With polling on (network shares, where inotify sees no remote write),
//     the folder is rescanned on a timer and every file must settle.
//   - Regular files only: a file is opened without following links
//     (O_NOFOLLOW, O_NONBLOCK) and fstat must show a regular file, the one
//     Lstat saw and the claim moved (same device and inode); nothing
//     outside the folder is ever read. A symbolic link,
//     FIFO, socket or device is claimed as it is (rename moves the entry,
//     not its target) and refused into failed/ with forbidden-construct; a
//     directory stays where it is and gets <name>.reason.json beside it,
//     once (unsupported-format).
//   - A name over maxClaimName bytes is shortened when claimed (shortName:
//     its start, "~", its docbridge.Ref and its extension), so that what
//     docbridge adds to it fits in 255 bytes.
//   - Subdirectories are not watched.
//   - Logs name files by file_ref (docbridge.Ref of the name); errors of
//     the os package are stripped of their paths (pathless) before they are
//     wrapped or logged.
//
// Intakes import only the root package: they hand raw bytes to a
// docbridge.Sink and acknowledge (here: move the file) only after Accept
// returned nil.
package watch
