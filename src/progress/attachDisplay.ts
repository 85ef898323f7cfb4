import type { Run } from '../core/Run.js';
import type { DisplayOptions } from './displayOptions.js';
import { PlainRenderer } from './PlainRenderer.js';
import { TtyRenderer, type TtyStream } from './TtyRenderer.js';

/** One live block per terminal stream, shared by concurrent runs (like tqdm's `position`). */
const renderers = new WeakMap<object, TtyRenderer>();

const env = (name: string): boolean => {
  const value = process.env[name];
  return value !== undefined && value !== '' && value !== '0' && value !== 'false';
};

/** Shows a run on the terminal as the display options say; `none` shows nothing. */
export function attachDisplay(run: Run, options: DisplayOptions): void {
  if (options.display === 'none') return;
  const stream = (options.stream ?? process.stderr) as NodeJS.WritableStream & TtyStream & { isTTY?: boolean };
  // A terminal that reports no size (0×0, as some pseudo-terminals do) gets plain lines: a live block cannot fit.
  const sized = (stream.columns ?? 0) > 0 && (stream.rows === undefined || stream.rows > 0);
  const tty = options.display === 'tty' || (options.display === 'auto' && stream.isTTY === true && sized && !env('CI'));
  const style = {
    progressChar: options.progressChar,
    emptyChar: options.emptyChar,
    barLength: options.barLength,
    displayErrors: options.displayErrors,
    color: tty && !env('NO_COLOR'),
  };
  if (!tty) {
    new PlainRenderer(run, stream, run.clock, { ...style, color: false }, options.updateInterval, options.throttleMs);
    return;
  }
  let renderer = renderers.get(stream);
  if (!renderer || renderer.active.length === 0) {
    const shared: TtyStream[] = stream !== process.stdout && process.stdout.isTTY ? [process.stdout] : [];
    renderer = new TtyRenderer(stream, run.clock, style, options.throttleMs, shared);
    renderers.set(stream, renderer);
  }
  const target = renderer;
  // The line appears when the run starts, not when it is created.
  if (run.isActive) target.add(run, style);
  else run.addListener({ onStart: () => target.add(run, style) });
}
