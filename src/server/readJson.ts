import type { IncomingMessage } from 'node:http';
import { HttpError } from './HttpError.js';

/** Reads a JSON body up to `limit` bytes; 413 above it, 415 for another media type, 400 for bad JSON. */
export function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > limit) return Promise.reject(tooLarge(limit));
  const type = req.headers['content-type'];
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    });
    req.once('error', reject);
    req.once('end', () => {
      if (failed) return;
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') return resolve({});
      if (type !== undefined && !/^application\/([a-z.+-]*\+)?json\b/i.test(type)) {
        return reject(
          new HttpError(415, 'the body must be application/json', [{ path: 'headers.content-type', message: `got ${type}`, code: 'unsupported_media_type' }]),
        );
      }
      try {
        resolve(JSON.parse(text));
      } catch (error) {
        reject(new HttpError(400, 'the body is not valid JSON', [{ path: 'body', message: (error as Error).message, code: 'invalid_json' }]));
      }
    });
  });
}

function tooLarge(limit: number): HttpError {
  return new HttpError(413, `request body larger than ${limit} bytes`, [{ path: 'body', message: `at most ${limit} bytes`, code: 'too_large' }]);
}
