/**
 * Item-span sampling decided per span. A run's items share one trace, so a
 * trace-ID ratio keeps all of a run's item spans or none; these decide each
 * item on its own, deterministically.
 */

/** A uniform value in [0, 1) for one item of one run: FNV-1a over the ids, then murmur3's finaliser to spread it. */
export function itemSampleValue(runId: string, itemId: string): number {
  let h = 0x811c9dc5;
  const text = `${runId}\u0000${itemId}`;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 2 ** 32;
}

/**
 * Whether the `index`-th item (from 0) of a run is kept at `ratio`: kept items
 * are spread evenly and exactly `ratio` of them are kept (0.3 keeps 3 in 10,
 * the first item always when ratio > 0).
 */
export function keepNth(index: number, ratio: number): boolean {
  if (!(ratio > 0)) return false;
  if (ratio >= 1) return true;
  return Math.floor(index * ratio) !== Math.floor((index - 1) * ratio);
}
