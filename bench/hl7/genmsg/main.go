// Command genmsg writes the benchmark ORU^R01 of package hl7bench to
// standard output, for bench/hl7/run.sh.
package main

import (
	"os"

	hl7bench "github.com/docbridge/docbridge/bench/hl7"
)

func main() {
	if _, err := os.Stdout.Write(hl7bench.Message()); err != nil {
		os.Exit(1)
	}
}
