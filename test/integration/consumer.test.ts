import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { ensureBuilt } from '../support/builtPackage.js';
import { limit } from '../support/limit.js';

/**
 * The packed tarball as a newcomer's project meets it: installed from the
 * registry-shaped .tgz, required from CommonJS, imported from ESM, compiled by
 * TypeScript 5.9 and the newest 7.x with skipLibCheck off, and linted by publint
 * and Are The Types Wrong. The checks run concurrently, at most two processes
 * at a time (each compiler run is CPU-bound; the machine has two cores).
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
  peerDependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

const work = mkdtempSync(join(tmpdir(), 'batchtel-consumer-'));
const app = join(work, 'app');
const bare = join(work, 'bare');
let tarball = '';
const slot = limit(2);

const exec = promisify(execFile);

/** Asynchronous, so the test worker keeps answering vitest while npm and tsc run for seconds. */
const run = async (cmd: string, args: string[], cwd: string): Promise<string> => {
  try {
    const { stdout } = await exec(cmd, args, {
      cwd,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, npm_config_update_notifier: 'false' },
    });
    return stdout;
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed in ${cwd}:\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
};

const ENTRIES = ['batchtel', 'batchtel/sdk', 'batchtel/server', 'batchtel/bullmq'] as const;

beforeAll(async () => {
  // The build `npm pack` runs first (prepack), shared with the package test; the tarball test checks prepack is that build.
  await ensureBuilt();
  const packed = JSON.parse(await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], ROOT)) as Array<{ filename: string }>;
  tarball = join(work, packed[0]!.filename);
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
  mkdirSync(bare);
  writeFileSync(join(bare, 'package.json'), JSON.stringify({ name: 'bare', private: true }));
  // An app that uses every entry installs the optional SDK peers itself, as the README says.
  const peers = Object.entries(pkg.peerDependencies).map(([name, range]) => `${name}@${range}`);
  // Side by side: the full app, and a bare one with only the API peer and no Node types.
  await Promise.all([
    run(
      'npm',
      [
        'install',
        '--no-audit',
        '--no-fund',
        '--prefer-offline',
        tarball,
        ...peers,
        `@types/node@${pkg.devDependencies['@types/node']}`,
        'ts59@npm:typescript@~5.9.3',
        'ts7@npm:typescript@^7',
      ],
      app,
    ),
    run(
      'npm',
      ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball, `@opentelemetry/api@${pkg.peerDependencies['@opentelemetry/api']}`, 'typescript@^7'],
      bare,
    ),
  ]);
  writeFileSync(
    join(app, 'require.cjs'),
    `const out = {};
for (const name of ${JSON.stringify(ENTRIES)}) out[name] = Object.keys(require(name)).length;
const { createBatchProgress } = require('batchtel');
const p = createBatchProgress({ name: 'cjs', total: 1, display: 'none' });
p.start(); p.update(1);
out.processed = p.finish().processed;
console.log(JSON.stringify(out));`,
  );
  writeFileSync(
    join(app, 'import.mjs'),
    `const out = {};
for (const name of ${JSON.stringify(ENTRIES)}) out[name] = Object.keys(await import(name)).length;
console.log(JSON.stringify(out));`,
  );
  // Only the instrumentation entry: must compile without any Node types.
  writeFileSync(
    join(app, 'dot.mts'),
    `import { trackBatch, createBatchProgress, type BatchOptions, type BatchStats } from 'batchtel';
const options: BatchOptions = { name: 'x', total: 2, display: 'none' };
const stats: BatchStats = createBatchProgress(options).finish();
export const n: number = stats.processed + (await trackBatch(options).process([1, 2], async () => {})).processed;`,
  );
  writeFileSync(
    join(app, 'all.mts'),
    `import { trackBatch } from 'batchtel';
import { startTelemetry } from 'batchtel/sdk';
import { createBatchHandler } from 'batchtel/server';
export const f = [trackBatch, startTelemetry, createBatchHandler];`,
  );
  writeFileSync(
    join(app, 'all.cts'),
    `import { trackBatch } from 'batchtel';
import { startTelemetry } from 'batchtel/sdk';
import { createBatchHandler } from 'batchtel/server';
export const f = [trackBatch, startTelemetry, createBatchHandler];`,
  );
}, 600_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.concurrent('the packed tarball in a consumer project', () => {
  it('CommonJS `require()` loads every entry (Node 20.19+ requires ES modules)', async ({ expect }) => {
    const out = JSON.parse(await slot(() => run('node', ['require.cjs'], app))) as Record<string, number>;
    for (const name of ENTRIES) expect(out[name], name).toBeGreaterThan(0);
    expect(out['processed']).toBe(1);
  });

  it('ESM `import` loads every entry', async ({ expect }) => {
    const out = JSON.parse(await slot(() => run('node', ['import.mjs'], app))) as Record<string, number>;
    for (const name of ENTRIES) expect(out[name], name).toBeGreaterThan(0);
  });

  const compilers = [
    ['TypeScript 5.9', 'ts59'],
    ['TypeScript 7.x', 'ts7'],
  ] as const;
  const resolutions = [
    ['node16', 'node16'],
    ['nodenext', 'nodenext'],
    ['bundler', 'esnext'],
  ] as const;
  const variants = compilers.flatMap(([compiler, dir]) =>
    resolutions.flatMap(([resolution, module]) =>
      ([undefined, ['node']] as const).map((types) => ({
        compiler,
        dir,
        resolution,
        types,
        name: `tsconfig.${dir}.${resolution}.${types ? 'node' : 'none'}.json`,
        config: {
          compilerOptions: {
            strict: true,
            skipLibCheck: false,
            noEmit: true,
            target: 'ES2022',
            module,
            moduleResolution: resolution,
            ...(types ? { types } : {}),
          },
          // CommonJS files may import ES modules from TypeScript 5.8 on, under module nodenext only.
          files: ['dot.mts', 'all.mts', ...(resolution === 'nodenext' ? ['all.cts'] : [])],
        },
      })),
    ),
  );
  /**
   * TypeScript 5.9 builds its six projects in one `tsc --build`, about half the CPU of six
   * separate runs (each project is still checked whole, declaration files included, with its
   * own options): what it printed under each "Building project" line, and whether it failed.
   */
  let ts59Build: Promise<{ sections: Map<string, string>; failed: boolean }> | undefined;
  const buildTs59 = () =>
    (ts59Build ??= slot(async () => {
      const projects = variants.filter((v) => v.dir === 'ts59');
      for (const v of projects) writeFileSync(join(app, v.name), JSON.stringify(v.config));
      const names = projects.map((v) => v.name);
      let output: string;
      let failed = false;
      try {
        output = await run('node', [join(app, 'node_modules', 'ts59', 'bin', 'tsc'), '--build', '--verbose', '--pretty', 'false', ...names], app);
      } catch (error) {
        output = (error as Error).message;
        failed = true;
      }
      const sections = new Map<string, string>();
      let current: string | undefined;
      for (const line of output.split('\n')) {
        const building = /Building project '([^']+)'/.exec(line);
        if (building) sections.set((current = basename(building[1]!)), '');
        // The build's own status lines start with the time; anything else belongs to the project being built.
        else if (/^\d{1,2}:\d{2}:\d{2}/.test(line)) current = undefined;
        else if (current && line.trim()) sections.set(current, `${sections.get(current)}${line}\n`);
      }
      return { sections, failed };
    }));
  for (const v of variants) {
    it(`${v.compiler}, moduleResolution ${v.resolution}, ${v.types ? 'types: ["node"]' : 'no types field'}, skipLibCheck off: no errors`, async ({
      expect,
    }) => {
      if (v.dir === 'ts59') {
        const { sections, failed } = await buildTs59();
        const errors = sections.get(v.name);
        // Built, without errors; a failed build with no project's errors to show fails every variant.
        expect({ built: errors !== undefined, errors, unexplained: failed && [...sections.values()].every((e) => e === '') }).toEqual({
          built: true,
          errors: '',
          unexplained: false,
        });
      } else {
        writeFileSync(join(app, v.name), JSON.stringify(v.config));
        await slot(() => run('node', [join(app, 'node_modules', v.dir, 'bin', 'tsc'), '-p', v.name], app));
      }
      expect(await slot(() => run('node', [join(app, 'node_modules', v.dir, 'bin', 'tsc'), '--version'], app))).toMatch(
        v.dir === 'ts7' ? /Version 7\./ : /Version 5\.9\./,
      );
    });
  }

  it('the instrumentation entry compiles with TypeScript 7.x when Node types are not even installed', async ({ expect }) => {
    writeFileSync(join(bare, 'dot.mts'), readFileSync(join(app, 'dot.mts')));
    writeFileSync(
      join(bare, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { strict: true, skipLibCheck: false, noEmit: true, module: 'nodenext' }, files: ['dot.mts'] }),
    );
    await slot(() => run('node', [join(bare, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], bare));
    // The `.` entry installs no SDK package: only the two OpenTelemetry API packages come with it.
    const scoped = readdirSync(join(bare, 'node_modules', '@opentelemetry')).sort();
    expect(scoped).toEqual(['api', 'api-logs']);
    expect(existsSync(join(bare, 'node_modules', 'zod'))).toBe(false);
  });

  it('without the optional SDK peers, `batchtel/sdk` names the package to install', async ({ expect }) => {
    let message = '';
    try {
      await slot(() => exec('node', ['--input-type=module', '-e', "await import('batchtel/sdk')"], { cwd: bare, encoding: 'utf8' }));
    } catch (error) {
      message = (error as { stderr: string }).stderr;
    }
    expect(message).toMatch(/Cannot find (package|module) '@opentelemetry\/[a-z-]+'/);
  });

  it('the tarball holds the LICENSE, and every declaration map points at a source it ships (go to definition lands in src/)', async ({ expect }) => {
    const files = (await run('tar', ['-tzf', tarball], work)).split('\n').filter(Boolean);
    // Unpacked once, to read the maps and the bundle from.
    const unpacked = join(work, 'unpacked');
    mkdirSync(unpacked);
    await run('tar', ['-xzf', tarball, '-C', unpacked], work);
    expect(files).toContain('package/LICENSE');
    // Packed here after the build; `npm pack` and `npm publish` run that same build first.
    expect(pkg.scripts['prepack']).toBe('npm run build');
    expect(files.filter((f) => !/^package\/(dist|src)\//.test(f) && !['package/LICENSE', 'package/README.md', 'package/package.json'].includes(f))).toEqual([]);
    const maps = files.filter((f) => f.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(0);
    expect(maps.filter((f) => !f.endsWith('.d.ts.map'))).toEqual([]);
    const dangling: string[] = [];
    for (const map of maps) {
      const { sources } = JSON.parse(readFileSync(join(unpacked, map), 'utf8')) as { sources: string[] };
      for (const source of sources) if (!files.includes(posix.join(posix.dirname(map), source))) dangling.push(`${map} → ${source}`);
    }
    expect(dangling).toEqual([]);
    // The bundled JavaScript carries no source map comment (no map for it is shipped).
    const index = readFileSync(join(unpacked, 'package/dist/index.js'), 'utf8');
    expect(index).not.toContain('sourceMappingURL');
  });

  it('publint finds nothing to fix in the tarball', async ({ expect }) => {
    const out = await slot(() => run(join(ROOT, 'node_modules', '.bin', 'publint'), ['--strict', tarball], ROOT));
    expect(out).not.toMatch(/Errors|Warnings|Suggestions/);
  });

  it('Are The Types Wrong finds no problem in the tarball', async () => {
    // Exits non-zero on any problem; the table is in the error message. ES modules only, by choice
    // (one copy of the run registry, no dual-package hazard): a CommonJS `require()` of them works on
    // Node 20.19+ and type-checks with TypeScript 5.8+ under module nodenext (the .cts case above),
    // which attw's "node16 from CJS" column does not model; every other rule applies.
    await slot(() => run(join(ROOT, 'node_modules', '.bin', 'attw'), [tarball, '--format', 'table-flipped', '--ignore-rules', 'cjs-resolves-to-esm'], ROOT));
  });
});
