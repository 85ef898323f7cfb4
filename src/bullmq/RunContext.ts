import { ROOT_CONTEXT, trace, TraceFlags, type Context, type SpanContext } from '@opentelemetry/api';

/**
 * Everything a process needs to contribute to a distributed run: one
 * serialisable value. BullMQ chunk jobs carry it in `job.data.batchtel`; any
 * other process (a child process, a Kubernetes indexed Job) can receive it as
 * JSON, e.g. in the `BATCHTEL_RUN_CONTEXT` environment variable.
 */
export interface RunContext {
  /** Format version of this value. */
  readonly v: 1;
  readonly runId: string;
  readonly name: string;
  readonly operation: string;
  /** The BullMQ queue the run's chunks go through. */
  readonly queue: string;
  /** W3C trace context of the run span: every chunk span is its child. */
  readonly traceparent: string;
}

/** What one chunk job carries: the run context, the chunk's index and its item count. */
export interface ChunkRef extends RunContext {
  readonly chunk: number;
  readonly size: number;
}

/** The data of a chunk job: the items and the run context. */
export interface ChunkJobData<T> {
  readonly items: T[];
  readonly batchtel: ChunkRef;
}

/** The environment variable a run context travels in to a process without BullMQ. */
export const RUN_CONTEXT_ENV = 'BATCHTEL_RUN_CONTEXT';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

export function formatTraceparent(traceId: string, spanId: string, sampled = true): string {
  return `00-${traceId}-${spanId}-${sampled ? '01' : '00'}`;
}

/** The run span's context from a traceparent, or undefined when it is not a valid one. */
export function parseTraceparent(value: unknown): SpanContext | undefined {
  if (typeof value !== 'string') return undefined;
  const match = TRACEPARENT.exec(value.trim());
  if (!match || match[1] === ZERO_TRACE || match[2] === ZERO_SPAN) return undefined;
  return { traceId: match[1]!, spanId: match[2]!, traceFlags: Number.parseInt(match[3]!, 16) & TraceFlags.SAMPLED, isRemote: true };
}

/** A context whose active span is the (remote) run span, for chunk spans to start under. */
export function runSpanParent(ctx: Pick<RunContext, 'traceparent'>): Context {
  const spanContext = parseTraceparent(ctx.traceparent);
  return spanContext ? trace.setSpanContext(ROOT_CONTEXT, spanContext) : ROOT_CONTEXT;
}

/** JSON text of a run context, for an environment variable or a message. */
export function serializeRunContext(ctx: RunContext): string {
  const { v, runId, name, operation, queue, traceparent } = ctx;
  return JSON.stringify({ v, runId, name, operation, queue, traceparent });
}

/** A run context from its JSON text (or the parsed object); undefined when the value is not one. */
export function parseRunContext(value: unknown): RunContext | undefined {
  let data: unknown = value;
  if (typeof value === 'string') {
    try {
      data = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  if (typeof data !== 'object' || data === null) return undefined;
  const o = data as Record<string, unknown>;
  if (o['v'] !== 1) return undefined;
  for (const key of ['runId', 'name', 'operation', 'queue', 'traceparent'] as const) {
    if (typeof o[key] !== 'string' || (o[key] as string).length === 0) return undefined;
  }
  return {
    v: 1,
    runId: o['runId'] as string,
    name: o['name'] as string,
    operation: o['operation'] as string,
    queue: o['queue'] as string,
    traceparent: o['traceparent'] as string,
  };
}

/** The run context in `BATCHTEL_RUN_CONTEXT`, if any. */
export function runContextFromEnv(env: NodeJS.ProcessEnv = process.env): RunContext | undefined {
  return parseRunContext(env[RUN_CONTEXT_ENV]);
}

/**
 * The chunk reference inside a job's data, or undefined when the job is not a
 * batchtel chunk. Checked in place, without a copy: this runs once per job.
 */
export function chunkRefOf(data: unknown): ChunkRef | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const r = (data as { batchtel?: unknown }).batchtel as Record<string, unknown> | undefined;
  if (typeof r !== 'object' || r === null || r['v'] !== 1) return undefined;
  if (!nonEmpty(r['runId']) || !nonEmpty(r['name']) || !nonEmpty(r['operation']) || !nonEmpty(r['queue']) || !nonEmpty(r['traceparent'])) return undefined;
  const chunk = r['chunk'];
  const size = r['size'];
  if (typeof chunk !== 'number' || !Number.isInteger(chunk) || chunk < 0) return undefined;
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 0) return undefined;
  return r as unknown as ChunkRef;
}

const nonEmpty = (value: unknown): boolean => typeof value === 'string' && value.length > 0;
