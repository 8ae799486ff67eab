#!/usr/bin/env bash
# bench/hl7/run.sh — docbridge's HL7 v2 parser side by side with simple-hl7
# (the fastest npm parser, spec/deps-and-floors.md §5) on the same ~100 KB
# ORU^R01 with a base64 PDF, in one run: parse+extract, and
# parse+decode+SHA-1. simple-hl7 is installed into a temporary directory.
# Needs go, node and npm (the npm registry must be reachable).
# Usage: bench/hl7/run.sh [N]   (N messages per Node run, default 3000)
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-3000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

go run ./bench/hl7/genmsg > "$tmp/oru.hl7"
echo "message: $(wc -c < "$tmp/oru.hl7") bytes ($tmp/oru.hl7)"
(cd "$tmp" && npm install --silent --no-audit --no-fund simple-hl7@3.3.0 >/dev/null)
cp bench/hl7/bench.js "$tmp/"
echo "node $(node --version), simple-hl7 $(node -p "require('$tmp/node_modules/simple-hl7/package.json').version"), $(go version | cut -d' ' -f3)"

node_extract=$(cd "$tmp" && node bench.js oru.hl7 extract "$N")
node_sha1=$(cd "$tmp" && node bench.js oru.hl7 sha1 "$N")
echo "node extract: $node_extract"
echo "node sha1:    $node_sha1"

go_out=$(HL7_BENCH_MESSAGE="$tmp/oru.hl7" go test -run '^$' -bench 'ParseExtract|ParseDecodeSHA1' -count=3 -cpu=1 ./bench/hl7/)
echo "$go_out" | grep '^Benchmark'

# msgs/s of a Go benchmark: the median of 1e9 / ns/op over its runs.
go_rate() {
  echo "$go_out" | awk -v name="^$1" '$1 ~ name { for (i = 1; i <= NF; i++) if ($(i+1) == "ns/op") print 1e9 / $i }' |
    sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}
node_median() { echo "$1" | sed 's/.*"median":\([0-9]*\).*/\1/'; }

ne=$(node_median "$node_extract"); ns=$(node_median "$node_sha1")
ge=$(go_rate BenchmarkParseExtract); gm=$(go_rate BenchmarkMLLPParseExtract); gs=$(go_rate BenchmarkParseDecodeSHA1)
awk -v ne="$ne" -v ns="$ns" -v ge="$ge" -v gm="$gm" -v gs="$gs" 'BEGIN {
  printf "\n%-34s %12s %12s %8s %8s\n", "measure", "simple-hl7", "docbridge", "ratio", "target"
  printf "%-34s %12d %12d %7.1fx %8s\n", "parse+extract (msgs/s)", ne, ge, ge / ne, ">= 4x"
  printf "%-34s %12d %12d %7.1fx %8s\n", "MLLP de-frame+parse+extract", ne, gm, gm / ne, ">= 4x"
  printf "%-34s %12d %12d %7.2fx %8s\n", "parse+decode+SHA-1 (msgs/s)", ns, gs, gs / ns, ">= 1.2x"
}'
