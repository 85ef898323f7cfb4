import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

/**
 * How much the export worker's thread gives way to the app's (a nice value: 0
 * is the app's, 19 the lowest). At 10 the scheduler gives a thread of the app
 * about ten times the CPU share of the worker when both want a core, so on a
 * machine with few cores spooling and compressing wait for the app's turns,
 * not the other way round; with a core to spare the worker runs at full speed.
 */
export const EXPORT_WORKER_NICE = 10;

/**
 * Lowers the calling thread's priority, this thread alone (Linux: a thread is
 * a task with its own nice value, named by its thread id). Elsewhere, or where
 * it is refused, nothing changes: priority is an optimisation, never a reason
 * to fail. Returns whether it was lowered.
 */
export function lowerThisThreadPriority(nice = EXPORT_WORKER_NICE): boolean {
  if (process.platform !== 'linux') return false;
  try {
    // "<pid>/task/<tid>"
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(tid) || tid <= 0) return false;
    setPriority(tid, nice);
    return true;
  } catch {
    return false;
  }
}
