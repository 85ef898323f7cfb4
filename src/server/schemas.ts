import { z } from 'zod';

/** Every request schema of the API in one place; the OpenAPI description is generated from these. */

export const RUN_STATUSES = ['pending', 'running', 'completed', 'failed', 'cancelled'] as const;

export const idParams = z.strictObject({
  id: z.string().min(1).max(128).describe('Run id'),
});

const isoDate = z.iso.datetime({ offset: true }).describe('ISO 8601 date-time, e.g. 2026-01-31T12:00:00Z');

export const historyQuery = z.strictObject({
  operation: z.string().min(1).max(64).optional().describe('Only runs of this operation'),
  status: z.enum(RUN_STATUSES).optional().describe('Only runs in this status'),
  createdAfter: isoDate.optional(),
  createdBefore: isoDate.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50).describe('Page size, at most 100'),
  offset: z.coerce.number().int().min(0).default(0),
});

export const eventsQuery = z.strictObject({
  ticket: z
    .string()
    .max(128)
    .optional()
    .describe('A short-lived ticket from POST /api/batch/events/ticket, for EventSource clients that cannot send headers (this route only)'),
  lastEventId: z.string().regex(/^\d+$/).optional().describe('Resume after this event id (the Last-Event-ID header wins)'),
});

export const cleanupBody = z.strictObject({
  daysToKeep: z.number().int().min(0).max(36_500).describe('Finished runs that ended longer ago than this are forgotten'),
});

/** Fields of the create body itself; one of these under `options` is a mistake worth naming. */
const CREATE_FIELDS = ['operation', 'name', 'description', 'input', 'filters', 'total_items'] as const;

export const createOptions = z
  .looseObject({
    chunkSize: z.number().int().min(1).max(100_000).optional().meta({ default: 50 }).describe('Items per chunk (default 50)'),
    batchSize: z
      .number()
      .int()
      .min(1)
      .max(100_000)
      .optional()
      .meta({ deprecated: true })
      .describe('Deprecated alias of `chunkSize` (a chunk is one slice of the run); `chunkSize` wins when both are given'),
    retryAttempts: z.number().int().min(0).max(20).default(3).describe('Retries of a failed chunk after its first attempt'),
    timeout: z
      .number()
      .int()
      .min(1)
      .max(7 * 24 * 3_600_000)
      .optional()
      .describe('Whole-run deadline, ms'),
    concurrency: z.number().int().min(1).max(64).default(1).describe('Chunks in flight'),
  })
  .superRefine((options, ctx) => {
    for (const key of CREATE_FIELDS) {
      if (Object.hasOwn(options, key)) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          input: options[key],
          message: `\`${key}\` belongs at the top level of the body, not under \`options\``,
          params: { code: 'misplaced_field', expected: `\`${key}\` at the top level` },
        });
      }
    }
  })
  .describe('How the run processes its items; other keys are accepted and ignored (the fields of the body itself are refused here)');

export const createBody = z.strictObject({
  operation: z.string().min(1).max(64).describe('A registered operation'),
  name: z.string().min(1).max(200).optional().describe('Display name; defaults to the operation'),
  description: z.string().max(2000).optional(),
  input: z.unknown().optional().describe("The operation's input, checked against its own schema"),
  filters: z.unknown().optional().describe('Another name for `input` (used when `input` is absent)'),
  total_items: z.number().int().min(0).optional().describe('Expected item count, for progress and ETA'),
  options: createOptions.default(() => createOptions.parse({})),
});

export type HistoryQuery = z.output<typeof historyQuery>;
export type CreateBody = z.output<typeof createBody>;
