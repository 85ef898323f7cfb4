#!/usr/bin/env node
/**
 * The `batchtel` command. Subcommands: `demo`, `spool status|replay`, `local status|replay`.
 */
import { parseArgs } from 'node:util';
import { VERSION } from '../version.js';
import type { ReplayOptions } from './replayTarget.js';
import { SDK_PEERS } from './sdkPeers.js';

/** Each command's help, shown by `batchtel help`, `batchtel <command> --help` and on a usage error. */
const COMMAND_HELP: Record<string, string> = {
  demo: `  demo      concurrent runs against a fake rate-limited API, with the terminal
            bar, the live board and telemetry to a collector when one answers
            --duration <s>   stop after this many seconds (default 75)
            --port <n>       board/API port on 127.0.0.1 (default 4477; a free one if taken)
            --no-auth        no token (loopback only)
            --workers <n>    one run over n worker processes on BullMQ (needs redis-server)
`,
  spool: `  spool status [--dir <d>]
            what the spool holds: records, bytes, age and owner per signal
            (default dir .batchtel/spool)
  spool replay [--dir <d>] [--endpoint <url>] [--timeout <ms>] [--drop-rejected]
            send what processes that are gone left in the spool, oldest first;
            endpoint defaults to OTEL_EXPORTER_OTLP_ENDPOINT, else
            http://127.0.0.1:4318; headers come from OTEL_EXPORTER_OTLP_HEADERS;
            --timeout bounds each whole request (default 10000); what the
            endpoint refuses for good (400, 500, ...) stays in the spool unless
            --drop-rejected; exits 1 if anything was not delivered (lost,
            refused or still waiting)
`,
  local: `  local status [--dir <d>]
            the OTLP JSON lines written while no collector listened
            (default dir .batchtel/otlp)
  local replay [--dir <d>] [--endpoint <url>] [--timeout <ms>] [--drop-rejected]
            send them to a collector, oldest first, and remove what it took;
            the same endpoint, headers and exit codes as spool replay
`,
};

const HELP = `usage: batchtel <command> [options]

commands:
${Object.values(COMMAND_HELP).join('')}  help      this text (also: batchtel <command> --help)
  version   the batchtel version (also: --version, -v)
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
  version: async () => {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  },
};

const ALIASES: Record<string, string> = { '--help': 'help', '-h': 'help', '--version': 'version', '-v': 'version' };

/** `<command> status|replay [--dir] [--endpoint] [--timeout] [--drop-rejected]`, shared by `spool` and `local`. */
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
      endpoint: { type: 'string' },
      timeout: { type: 'string', default: '10000' },
      'drop-rejected': { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (action === 'status') return status(values.dir, process.stdout);
  if (action !== 'replay') return usage(`${command} needs "status" or "replay", got ${JSON.stringify(action ?? '')}`);
  const envEndpoint = process.env['OTEL_EXPORTER_OTLP_ENDPOINT'];
  const [endpoint, source] =
    values.endpoint !== undefined
      ? [values.endpoint, '--endpoint']
      : envEndpoint
        ? [envEndpoint, 'OTEL_EXPORTER_OTLP_ENDPOINT']
        : ['http://127.0.0.1:4318', 'the default; set --endpoint or OTEL_EXPORTER_OTLP_ENDPOINT'];
  const timeoutMillis = Number(values.timeout);
  if (!(timeoutMillis > 0)) return usage(`--timeout must be a number of milliseconds > 0, got ${JSON.stringify(values.timeout)}`);
  try {
    new URL(endpoint);
  } catch {
    return usage(`the endpoint (${source}) must be a URL, got ${JSON.stringify(endpoint)}`);
  }
  process.stdout.write(`replaying ${values.dir} to ${endpoint} (${source})\n`);
  const code = await replay({ dir: values.dir, endpoint, timeoutMillis, dropRejected: values['drop-rejected'], out: process.stdout });
  if (code !== 0) process.stderr.write(`batchtel: not everything was delivered to ${endpoint} (see above): is a collector listening there?\n`);
  return code;
}

function usage(message: string): number {
  process.stderr.write(`batchtel: ${message}\n\n${HELP}`);
  return 2;
}

/** The optional SDK peers the demo and the replay commands load; the instrumentation entry needs none. */
function missingPeer(error: unknown): string | undefined {
  const { code, message } = error as { code?: string; message?: string };
  if (code !== 'ERR_MODULE_NOT_FOUND') return undefined;
  return /Cannot find package '((?:@[^/']+\/)?[^/']+)/.exec(message ?? '')?.[1];
}

async function main(argv: string[]): Promise<number> {
  const [given = 'help', ...rest] = argv;
  const name = ALIASES[given] ?? given;
  const command = commands[name];
  if (!command) return usage(`unknown command ${JSON.stringify(given)}`);
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`usage: batchtel ${name} [options]\n\n${COMMAND_HELP[name] ?? HELP}`);
    return 0;
  }
  try {
    return await command(rest);
  } catch (error) {
    if ((error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) return usage((error as Error).message);
    const peer = missingPeer(error);
    if (peer) {
      process.stderr.write(
        `batchtel: \`batchtel ${name}\` needs the OpenTelemetry SDK packages, optional peers of batchtel; ${peer} is not installed.\n` +
          `Install them beside batchtel: npm install ${SDK_PEERS.join(' ')}\n`,
      );
      return 1;
    }
    throw error;
  }
}

// Explicit exit: telemetry was flushed (bounded) by the command; exporter retry timers must not keep a finished CLI alive.
process.exit(await main(process.argv.slice(2)));
