import { randomFillSync } from 'node:crypto';

/** Random words taken from the system's CSPRNG a pool at a time: one call every 256 span IDs. */
const POOL_WORDS = 1024;

const HEX = Uint16Array.from('0123456789abcdef', (c) => c.charCodeAt(0));

/**
 * Trace and span IDs as lowercase hex, from a pool of cryptographically
 * random bytes. The SDK's generator takes Math.random through a Buffer and its
 * native hex encoder, about 250 ns an ID; this builds each string in one
 * String.fromCharCode call (flat one-byte strings, which the encoder reads
 * back without flattening), 60-90 ns. An all-zero ID, invalid in W3C trace
 * context, is drawn again.
 */
export class RandomHexIds {
  private readonly pool = new Uint32Array(POOL_WORDS);
  private at = POOL_WORDS;

  traceId(): string {
    let a: number;
    let b: number;
    let c: number;
    let d: number;
    do {
      a = this.word();
      b = this.word();
      c = this.word();
      d = this.word();
    } while ((a | b | c | d) === 0);
    return hex32(a, b, c, d);
  }

  spanId(): string {
    let a: number;
    let b: number;
    do {
      a = this.word();
      b = this.word();
    } while ((a | b) === 0);
    return hex16(a, b);
  }

  private word(): number {
    if (this.at === POOL_WORDS) {
      randomFillSync(this.pool);
      this.at = 0;
    }
    return this.pool[this.at++]!;
  }
}

/**
 * One call, one flat string: concatenating shorter ones makes a cons string the first read must
 * flatten. Unrolled on purpose, here and in hex16: a loop into a typed array, then
 * `String.fromCharCode.apply` or `latin1Slice`, takes 1.5-2 times as long.
 */
function hex32(a: number, b: number, c: number, d: number): string {
  return String.fromCharCode(
    HEX[a >>> 28]!,
    HEX[(a >>> 24) & 15]!,
    HEX[(a >>> 20) & 15]!,
    HEX[(a >>> 16) & 15]!,
    HEX[(a >>> 12) & 15]!,
    HEX[(a >>> 8) & 15]!,
    HEX[(a >>> 4) & 15]!,
    HEX[a & 15]!,
    HEX[b >>> 28]!,
    HEX[(b >>> 24) & 15]!,
    HEX[(b >>> 20) & 15]!,
    HEX[(b >>> 16) & 15]!,
    HEX[(b >>> 12) & 15]!,
    HEX[(b >>> 8) & 15]!,
    HEX[(b >>> 4) & 15]!,
    HEX[b & 15]!,
    HEX[c >>> 28]!,
    HEX[(c >>> 24) & 15]!,
    HEX[(c >>> 20) & 15]!,
    HEX[(c >>> 16) & 15]!,
    HEX[(c >>> 12) & 15]!,
    HEX[(c >>> 8) & 15]!,
    HEX[(c >>> 4) & 15]!,
    HEX[c & 15]!,
    HEX[d >>> 28]!,
    HEX[(d >>> 24) & 15]!,
    HEX[(d >>> 20) & 15]!,
    HEX[(d >>> 16) & 15]!,
    HEX[(d >>> 12) & 15]!,
    HEX[(d >>> 8) & 15]!,
    HEX[(d >>> 4) & 15]!,
    HEX[d & 15]!,
  );
}

function hex16(a: number, b: number): string {
  return String.fromCharCode(
    HEX[a >>> 28]!,
    HEX[(a >>> 24) & 15]!,
    HEX[(a >>> 20) & 15]!,
    HEX[(a >>> 16) & 15]!,
    HEX[(a >>> 12) & 15]!,
    HEX[(a >>> 8) & 15]!,
    HEX[(a >>> 4) & 15]!,
    HEX[a & 15]!,
    HEX[b >>> 28]!,
    HEX[(b >>> 24) & 15]!,
    HEX[(b >>> 20) & 15]!,
    HEX[(b >>> 16) & 15]!,
    HEX[(b >>> 12) & 15]!,
    HEX[(b >>> 8) & 15]!,
    HEX[(b >>> 4) & 15]!,
    HEX[b & 15]!,
  );
}
