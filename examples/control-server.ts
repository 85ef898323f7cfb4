/**
 * Mounting the control API and board in an app's own HTTP server, with one
 * operation the API may start. Run: `npx tsx examples/control-server.ts`, then
 * open the printed board link; `-- --once` starts one run through the API,
 * waits for it and exits. Express: `app.use(handler)`; fastify:
 * `fastify.all('/*', (req, reply) => { reply.hijack(); handler(req.raw, reply.raw); })`;
 * hono on Node: handle `/api/batch/*` and `/` with `handler(c.env.incoming, c.env.outgoing)`.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { createBatchHandler, defineOperation } from '../src/server/index.js';

const sendEmails = defineOperation(
  'send_emails',
  z.strictObject({ recipients: z.array(z.email()).min(1).max(10_000) }),
  async ({ recipients }, { process }) => {
    await process(recipients, async (chunk, { signal }) => {
      await new Promise((resolve) => setTimeout(resolve, 20 * chunk.length)); // your mail API here, honouring `signal`
      if (signal.aborted) return { skipped: chunk.length };
      return undefined;
    });
  },
  { total: ({ recipients }) => recipients.length },
);

const once = process.argv.includes('--once');
const token = process.env['BATCHTEL_TOKEN'] ?? randomBytes(24).toString('base64url');
const handler = createBatchHandler({ auth: { token }, operations: [sendEmails] });
const server = createServer((req, res) => handler(req, res, () => res.writeHead(404).end('not ours')));
const stop = () => {
  handler.close();
  server.close();
  server.closeAllConnections();
};
process.once('SIGINT', stop);

// A fixed port for the board link; any free one with --once.
server.listen(once ? 0 : 4480, '127.0.0.1', async () => {
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const body = { operation: 'send_emails', input: { recipients: ['a@example.com', 'b@example.com', 'c@example.com'] }, options: { chunkSize: 1 } };
  console.log(`board: ${base}/#token=${token}`);
  if (!once) {
    console.log(`curl -X POST -H "Authorization: Bearer ${token}" -H 'content-type: application/json' \\
  -d '${JSON.stringify(body)}' \\
  ${base}/api/batch/create`);
    return;
  }
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const created = (await (await fetch(`${base}/api/batch/create`, { method: 'POST', headers, body: JSON.stringify(body) })).json()) as {
    batch: { id: string };
  };
  for (;;) {
    const { batch } = (await (await fetch(`${base}/api/batch/${created.batch.id}`, { headers })).json()) as {
      batch: { status: string; processed_items: number };
    };
    if (batch.status !== 'running' && batch.status !== 'pending') {
      console.log(`run ${created.batch.id}: ${batch.status}, ${batch.processed_items} items`);
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  stop();
});
