import type { Attributes } from '@opentelemetry/api';

/** One string per attribute set, whatever the key order: the key of a bounded series map. */
export const seriesKey = (attributes: Attributes): string =>
  Object.keys(attributes)
    .sort()
    .map((key) => `${key}=${String(attributes[key])}`)
    .join('\u0000');
