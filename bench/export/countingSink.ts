/**
 * An OTLP/HTTP protobuf endpoint for the export benchmark, in its own process
 * so its work is not charged to the producer. It counts spans and log records
 * by walking the protobuf (Export*ServiceRequest → Resource* → Scope* → the
 * records: field 1, field 2, field 2 in both signals) and answers 200.
 * `GET /stats` returns the counts; `POST /reset` clears them. The BullMQ
 * benchmark uses it too (argument 0: a free port).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

const PORT = Number(process.argv[2] ?? 14_999);

function varint(buf: Buffer, at: number): [number, number] {
  let value = 0;
  let shift = 0;
  let i = at;
  for (;;) {
    const byte = buf[i++]!;
    value += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) return [value, i];
    shift += 7;
  }
}

/** Length-delimited fields of one message, as [field, start, end]. */
function* messages(buf: Buffer, start: number, end: number): Generator<[number, number, number]> {
  let i = start;
  while (i < end) {
    const [key, next] = varint(buf, i);
    i = next;
    const wire = key & 7;
    if (wire === 2) {
      const [length, from] = varint(buf, i);
      yield [Math.floor(key / 8), from, from + length];
      i = from + length;
    } else if (wire === 0) i = varint(buf, i)[1];
    else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else throw new Error(`wire type ${wire}`);
  }
}

function countRecords(body: Buffer): number {
  let n = 0;
  for (const [f1, s1, e1] of messages(body, 0, body.length)) {
    if (f1 !== 1) continue;
    for (const [f2, s2, e2] of messages(body, s1, e1)) {
      if (f2 !== 2) continue;
      for (const [f3] of messages(body, s2, e2)) if (f3 === 2) n++;
    }
  }
  return n;
}

const zero = () => ({ records: 0, requests: 0, wireBytes: 0, bodyBytes: 0, first: 0, last: 0 });
let stats = { traces: zero(), logs: zero() };

const server = createServer((req, res) => {
  if (req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(stats));
    return;
  }
  if (req.url === '/reset') {
    stats = { traces: zero(), logs: zero() };
    res.writeHead(200).end();
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const wire = Buffer.concat(chunks);
    const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(wire) : wire;
    const s = req.url?.endsWith('/v1/logs') ? stats.logs : stats.traces;
    s.records += countRecords(body);
    s.requests++;
    s.wireBytes += wire.length;
    s.bodyBytes += body.length;
    s.first ||= Date.now();
    s.last = Date.now();
    res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
  });
});
// Port 0 takes a free one; the parent learns which from the ready message.
server.listen(PORT, '127.0.0.1', () => process.send?.({ ready: true, port: (server.address() as AddressInfo).port }));
