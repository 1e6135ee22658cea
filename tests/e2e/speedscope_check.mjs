// Checks a speedscope JSON file as speedscope would need it: it validates against the schema
// shipped with speedscope (dist/release/file-format-schema.json), every sampled profile has one
// positive weight per sample, every frame index exists, and endValue - startValue is the sum of
// the weights. Prints "PROFILES TOTAL"; exits 1 with a message otherwise.
// Usage: node speedscope_check.mjs FILE
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import Ajv from 'ajv';

const here = path.dirname(fileURLToPath(import.meta.url));
const schemaPath =
  path.join(here, 'node_modules', 'speedscope', 'dist', 'release', 'file-format-schema.json');
const schema = JSON.parse(fs.readFileSync(schemaPath, 'utf8'));
const doc = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));

function die(...message) {
  console.error(`${process.argv[2]}:`, ...message);
  process.exit(1);
}

const ajv = new Ajv({ strict: false, allErrors: true });
if (!ajv.validate(schema, doc)) die(JSON.stringify(ajv.errors.slice(0, 5)));
let total = 0n;
for (const p of doc.profiles) {
  if (p.samples.length !== p.weights.length) die('samples and weights differ in length');
  let sum = 0n;
  for (const w of p.weights) {
    if (!(Number.isInteger(w) && w > 0)) die('weight', w);
    sum += BigInt(w);
  }
  for (const s of p.samples) {
    for (const f of s) {
      if (!(Number.isInteger(f) && f >= 0 && f < doc.shared.frames.length)) die('frame index', f);
    }
  }
  if (BigInt(p.endValue - p.startValue) !== sum) die('endValue', p.endValue, '!= sum', sum);
  total += sum;
}
console.log(`${doc.profiles.length} ${total}`);
