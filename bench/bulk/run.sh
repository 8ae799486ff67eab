#!/bin/sh
# Measures `docbridge bulk --dry-run` at 10k, 50k and 100k generated files
# (or the sizes given, comma-separated): wall time and peak RSS per size.
#   bench/bulk/run.sh [10000,50000,100000]
set -eu
cd "$(dirname "$0")/../.."
bin=$(mktemp -d)/docbridge
go build -o "$bin" ./cmd/docbridge
go run ./bench/bulk -bin "$bin" -n "${1:-10000,50000,100000}"
