#!/usr/bin/env node
/**
 * The `batchtel` command. Subcommands: `demo` (and room for more, e.g. `replay`).
 */
import { parseArgs } from 'node:util';

const HELP = `usage: batchtel <command> [options]

commands:
  demo      concurrent runs against a fake rate-limited API, with the terminal
            bar, the live board and telemetry to a collector when one answers
            --duration <s>   stop after this many seconds (default 75)
            --port <n>       board/API port on 127.0.0.1 (default 4477; a free one if taken)
            --no-auth        no token (loopback only)
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
      },
      strict: true,
    });
    const duration = Number(values.duration);
    const port = Number(values.port);
    const scale = Number(values.scale);
    if (!(duration > 0)) return usage(`--duration must be a number of seconds > 0, got ${JSON.stringify(values.duration)}`);
    if (!(Number.isInteger(port) && port >= 0 && port < 65536)) return usage(`--port must be 0..65535, got ${JSON.stringify(values.port)}`);
    if (!(scale > 0)) return usage(`--scale must be > 0, got ${JSON.stringify(values.scale)}`);
    const { runDemo } = await import('./demo/runDemo.js');
    return runDemo({ durationSeconds: duration, port, auth: !values['no-auth'], scale, out: process.stdout });
  },
  help: async () => {
    process.stdout.write(HELP);
    return 0;
  },
};

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
