// bench.js — the simple-hl7 side of bench/hl7/run.sh.
// Usage: node bench.js MESSAGE_FILE MODE [N]   MODE: extract | sha1
// Prints one JSON line: {"parser", "mode", "runs": [msgs/s…], "median"}.
'use strict';
const fs = require('fs');
const crypto = require('crypto');
const hl7 = require('simple-hl7');

const [file, mode = 'extract', nArg = '3000'] = process.argv.slice(2);
const n = Number(nArg);
const text = fs.readFileSync(file, 'latin1');
const parser = new hl7.Parser({ segmentSeperator: '\r' });

// once parses and extracts MSH-10, PID-3.1 and the ED OBX's OBX-5.5, and
// for mode sha1 decodes the base64 and hashes it, as the Go side does.
function once() {
  const m = parser.parse(text);
  const id = m.header.getField(8); // simple-hl7 header fields start at MSH-3
  // getComponent returns "" on a repeating field: split PID-3 by hand.
  const pid = m.getSegment('PID').getField(3, 1).split('^')[0];
  let data = '';
  for (const s of m.getSegments('OBX')) {
    if (s.getField(2) === 'ED') { data = s.getComponent(5, 5); break; }
  }
  if (mode === 'sha1') {
    return crypto.createHash('sha1').update(Buffer.from(data, 'base64')).digest('hex');
  }
  return [id, pid, data];
}

const check = once();
if (mode === 'extract' && (check[0] !== 'BENCH-0001' || check[1] !== 'DBT-000001' || check[2].length !== 102412)) {
  console.error('simple-hl7 extracted the wrong values:', check[0], check[1], check[2].length);
  process.exit(1);
}
for (let i = 0; i < 200; i++) once();
const runs = [];
for (let r = 0; r < 3; r++) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) once();
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  runs.push(Math.round(n / s));
}
const median = [...runs].sort((a, b) => a - b)[1];
console.log(JSON.stringify({ parser: 'simple-hl7', mode, runs, median, sha1: mode === 'sha1' ? check : undefined }));
