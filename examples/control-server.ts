/**
 * Mounting the control API and board in an app's own HTTP server, with one
 * operation the API may start. Run: `npx tsx examples/control-server.ts`, then
 * open the printed board link. Express: `app.use(handler)`; fastify:
 * `fastify.all('/*', (req, reply) => { reply.hijack(); handler(req.raw, reply.raw); })`;
 * hono on Node: handle `/api/batch/*` and `/` with `handler(c.env.incoming, c.env.outgoing)`.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
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

const token = process.env['BATCHTEL_TOKEN'] ?? randomBytes(24).toString('base64url');
const handler = createBatchHandler({ auth: { token }, operations: [sendEmails] });
const server = createServer((req, res) => handler(req, res, () => res.writeHead(404).end('not ours')));
server.listen(4480, '127.0.0.1', () => {
  console.log(`board: http://127.0.0.1:4480/#token=${token}`);
  console.log(`curl -X POST -H "Authorization: Bearer ${token}" -H 'content-type: application/json' \\
  -d '{"operation":"send_emails","input":{"recipients":["a@example.com","b@example.com"]},"options":{"batchSize":1}}' \\
  http://127.0.0.1:4480/api/batch/create`);
});
process.once('SIGINT', () => {
  handler.close();
  server.close();
  server.closeAllConnections();
});
