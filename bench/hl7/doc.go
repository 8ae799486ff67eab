// Package hl7bench measures docbridge's HL7 v2 parser on the message of
// BENCHMARKS.md's parser comparison: a realistic ORU^R01 of about 100 KB whose ED
// OBX carries a base64 PDF. Message builds it deterministically; the
// benchmarks in this package measure parse+extract (MSH-10, PID-3.1,
// OBX-5.5) and parse+decode+SHA-1; run.sh runs the same message through
// the npm parser simple-hl7 and through Go in one go and prints the ratios.
package hl7bench
