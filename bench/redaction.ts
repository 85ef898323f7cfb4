/**
 * Redaction time per MB of input, for 10 KB to 10 MB inputs of several
 * shapes, measured side by side in one run. Redaction must be linear: the
 * per-MB time of the largest input is within FLAT_BOUND of the smallest's,
 * for every shape, or the run exits 1. The URL-credential pattern batchtel
 * used before (quadratic on a long run of letters and digits followed by `:`)
 * is timed on the small hex blobs for comparison.
 *
 *   npm run bench:redaction
 */
import { createRedactor } from '../src/sdk/redact.js';

/**
 * Largest over smallest per-MB time allowed. Quadratic work at 1000x the size
 * is about 1000x per MB; linear work is 1x in theory and up to about 5x here,
 * since a 10 KB input stays in the CPU cache and a 1 MB one does not (1 MB and
 * 10 MB cost about the same per MB), and the machine is shared.
 */
const FLAT_BOUND = 8;
const SIZES = [10 * 1024, 100 * 1024, 1024 * 1024, 10 * 1024 * 1024];

const fill = (unit: (i: number) => string, size: number): string => {
  const parts: string[] = [];
  let length = 0;
  for (let i = 0; length < size; i++) {
    const part = unit(i);
    parts.push(part);
    length += part.length;
  }
  return parts.join('').slice(0, size);
};

const hex = (i: number) => ((i * 2654435761) >>> 0).toString(16).padStart(8, '0');
const SHAPES: Record<string, (size: number) => string> = {
  // One run of hex digits ending in a colon: the case that was quadratic.
  'hex blob': (size) => `${fill(hex, size - 1)}:`,
  // xxd-style lines: offset, colon, groups, text.
  'hex dump': (size) =>
    fill(
      (i) => `${(i * 16).toString(16).padStart(8, '0')}: ${hex(i).slice(0, 4)} ${hex(i + 1).slice(0, 4)} ${hex(i + 2)} ${hex(i + 3)}  ..hello.world..\n`,
      size,
    ),
  'stack trace': (size) =>
    fill(
      (i) =>
        i % 20 === 0
          ? `Error: request ${i} failed: ECONNRESET\n`
          : `    at handler${i} (/srv/app/node_modules/some-lib/dist/module${i % 7}.js:${i % 500}:${i % 80})\n`,
      size,
    ),
  'prose with secrets': (size) =>
    fill(
      (i) =>
        [
          `Retrying https://svc:hunter${i}@api.example.com/v1/items?page=${i}&accessToken=tok${i} after 503. `,
          `The client sent Authorization: Bearer eyJ${hex(i)} and dbPassword=pw${i}; `,
          `config {"clientSecret": "cs${i}", "region": "eu-west-1", "retries": ${i % 5}} `,
          `and the nightly job read AWS_SECRET_ACCESS_KEY=${hex(i)}${hex(i + 1)} from its environment.\n`,
        ][i % 4]!,
      size,
    ),
};

const redactor = createRedactor();
/** The fastest of a few runs, in ms: noise on a shared machine only ever adds time. */
function best(fn: () => void, runs: number): number {
  let min = Infinity;
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    fn();
    min = Math.min(min, performance.now() - start);
  }
  return min;
}
const runsFor = (size: number) => Math.max(3, Math.round((2 * 1024 * 1024) / size));

const OLD_URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/[^\s:/@]+):[^\s@/]+@/gi;

let failed = false;
console.log(`redaction, ms per MB (best of several runs)\n`);
console.log(
  `${'shape'.padEnd(20)}${SIZES.map((s) => `${s >= 1024 * 1024 ? `${s / 1024 / 1024} MB` : `${s / 1024} KB`}`.padStart(10)).join('')}   largest/smallest`,
);
for (const [shape, make] of Object.entries(SHAPES)) {
  const perMb = SIZES.map((size) => {
    const text = make(size);
    redactor.text(text.slice(0, 1000)); // warm the patterns
    return best(() => redactor.text(text), runsFor(size)) / (size / 1024 / 1024);
  });
  const ratio = perMb.at(-1)! / perMb[0]!;
  const flat = ratio <= FLAT_BOUND;
  failed ||= !flat;
  console.log(
    `${shape.padEnd(20)}${perMb.map((t) => t.toFixed(2).padStart(10)).join('')}   ${ratio.toFixed(2)} ${flat ? 'flat' : `NOT FLAT (bound ${FLAT_BOUND})`}`,
  );
}

console.log(`\nthe previous URL-credential pattern on the hex blob, ms per MB`);
for (const size of [10 * 1024, 40 * 1024]) {
  const text = SHAPES['hex blob']!(size);
  const ms = best(() => text.replace(OLD_URL_CREDENTIALS, 'x'), 1);
  const now = best(() => redactor.text(text), runsFor(size));
  console.log(
    `  ${String(size / 1024).padStart(3)} KB: before ${(ms / (size / 1024 / 1024)).toFixed(0).padStart(7)}  now ${(now / (size / 1024 / 1024)).toFixed(2).padStart(7)}  (${(ms / now).toFixed(0)}x)`,
  );
}

if (failed) {
  console.error(`\nredaction time per MB is not flat (largest/smallest above ${FLAT_BOUND})`);
  process.exit(1);
}
console.log(`\nflat: every shape's largest/smallest per-MB ratio is within ${FLAT_BOUND}`);
