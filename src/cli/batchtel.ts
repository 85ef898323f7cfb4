#!/usr/bin/env node
/**
 * The `batchtel` command. Subcommands: `demo`, `spool status|replay`, `local status|replay`.
 */
import { parseArgs } from 'node:util';
import type { ReplayOptions } from './replayTarget.js';

const HELP = `usage: batchtel <command> [options]

commands:
  demo      concurrent runs against a fake rate-limited API, with the terminal
            bar, the live board and telemetry to a collector when one answers
            --duration <s>   stop after this many seconds (default 75)
            --port <n>       board/API port on 127.0.0.1 (default 4477; a free one if taken)
            --no-auth        no token (loopback only)
            --workers <n>    one run over n worker processes on BullMQ (needs redis-server)
  spool status [--dir <d>]
            what the spool holds: records, bytes, age and owner per signal
            (default dir .batchtel/spool)
  spool replay [--dir <d>] [--endpoint <url>] [--timeout <ms>]
            send what processes that are gone left in the spool, oldest first;
            endpoint defaults to OTEL_EXPORTER_OTLP_ENDPOINT, headers come from
            OTEL_EXPORTER_OTLP_HEADERS; exits 1 if some could not be delivered
  local status [--dir <d>]
            the OTLP JSON lines written while no collector listened
            (default dir .batchtel/otlp)
  local replay [--dir <d>] [--endpoint <url>] [--timeout <ms>]
            send them to a collector, oldest first, and remove what it took;
            the same endpoint, headers and exit codes as spool replay
  help      this text
`;

type Command = (args: string[]) => Promise<number>;

const commands: Record<string, Command> = {
  demo: async (args) => {
    const { values } = parseArgs({
      args,
      options: {
        duration: { type: 'string', default: '75' },
        port: { type: 'string', default: '4477' },
        'no-auth': { type: 'boolean', default: false },
        scale: { type: 'string', default: '1' },
        workers: { type: 'string' },
      },
      strict: true,
    });
    const duration = Number(values.duration);
    const port = Number(values.port);
    const scale = Number(values.scale);
    if (!(duration > 0)) return usage(`--duration must be a number of seconds > 0, got ${JSON.stringify(values.duration)}`);
    if (!(Number.isInteger(port) && port >= 0 && port < 65536)) return usage(`--port must be 0..65535, got ${JSON.stringify(values.port)}`);
    if (!(scale > 0)) return usage(`--scale must be > 0, got ${JSON.stringify(values.scale)}`);
    if (values.workers !== undefined) {
      const workers = Number(values.workers);
      if (!(Number.isInteger(workers) && workers >= 1 && workers <= 32)) return usage(`--workers must be 1..32, got ${JSON.stringify(values.workers)}`);
      const { runDistributedDemo } = await import('./demo/distributedDemo.js');
      return runDistributedDemo({ workers, port, items: Math.round(20_000 / scale), out: process.stdout });
    }
    const { runDemo } = await import('./demo/runDemo.js');
    return runDemo({ durationSeconds: duration, port, auth: !values['no-auth'], scale, out: process.stdout });
  },
  spool: async (args) => {
    const { replaySpool, spoolStatus } = await import('./spool.js');
    return statusOrReplay('spool', '.batchtel/spool', args, spoolStatus, replaySpool);
  },
  local: async (args) => {
    const { replayLocal, localStatus } = await import('./localFiles.js');
    return statusOrReplay('local', '.batchtel/otlp', args, localStatus, replayLocal);
  },
  help: async () => {
    process.stdout.write(HELP);
    return 0;
  },
};

/** `<command> status|replay [--dir] [--endpoint] [--timeout]`, shared by `spool` and `local`. */
async function statusOrReplay(
  command: string,
  defaultDir: string,
  args: string[],
  status: (dir: string, out: NodeJS.WritableStream) => number,
  replay: (options: ReplayOptions) => Promise<number>,
): Promise<number> {
  const [action, ...rest] = args;
  const { values } = parseArgs({
    args: rest,
    options: {
      dir: { type: 'string', default: defaultDir },
      endpoint: { type: 'string', default: process.env['OTEL_EXPORTER_OTLP_ENDPOINT'] ?? 'http://127.0.0.1:4318' },
      timeout: { type: 'string', default: '10000' },
    },
    strict: true,
  });
  if (action === 'status') return status(values.dir, process.stdout);
  if (action !== 'replay') return usage(`${command} needs "status" or "replay", got ${JSON.stringify(action ?? '')}`);
  const timeoutMillis = Number(values.timeout);
  if (!(timeoutMillis > 0)) return usage(`--timeout must be a number of milliseconds > 0, got ${JSON.stringify(values.timeout)}`);
  try {
    new URL(values.endpoint);
  } catch {
    return usage(`--endpoint must be a URL, got ${JSON.stringify(values.endpoint)}`);
  }
  return replay({ dir: values.dir, endpoint: values.endpoint, timeoutMillis, out: process.stdout });
}

function usage(message: string): number {
  process.stderr.write(`batchtel: ${message}\n\n${HELP}`);
  return 2;
}

async function main(argv: string[]): Promise<number> {
  const [name = 'help', ...rest] = argv;
  const command = commands[name === '--help' || name === '-h' ? 'help' : name];
  if (!command) return usage(`unknown command ${JSON.stringify(name)}`);
  try {
    return await command(rest);
  } catch (error) {
    if ((error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) return usage((error as Error).message);
    throw error;
  }
}

// Explicit exit: telemetry was flushed (bounded) by the command; exporter retry timers must not keep a finished CLI alive.
process.exit(await main(process.argv.slice(2)));
