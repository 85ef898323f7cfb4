import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/**
 * How much the export worker's thread gives way to the app's: added to the
 * app's nice value (19 at most). Ten steps make the scheduler give a thread
 * of the app about ten times the CPU share of the worker when both want a
 * core, so on a machine with few cores spooling and compressing wait for the
 * app's turns, not the other way round; with a core to spare the worker runs
 * at full speed.
 */
export const EXPORT_WORKER_NICE = 10;

/**
 * Lowers the calling thread's priority by `steps`, this thread alone (Linux: a
 * thread is a task with its own nice value, named by its thread id), from
 * what it inherited: an app already run under `nice` keeps its worker below
 * it. Elsewhere, or where it is refused, nothing changes: priority is an
 * optimisation, never a reason to fail. Returns whether it was lowered.
 */
export function lowerThisThreadPriority(steps = EXPORT_WORKER_NICE): boolean {
  if (process.platform !== 'linux') return false;
  try {
    // "<pid>/task/<tid>"
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(tid) || tid <= 0) return false;
    const from = getPriority(tid);
    const to = Math.min(19, from + steps);
    if (to === from) return false;
    setPriority(tid, to);
    return true;
  } catch {
    return false;
  }
}
