/**
 * The export worker thread's entry: a worker thread that spools, compresses,
 * sends and retries what the app's thread encoded (exportWorkerService.ts).
 * The app's thread keeps only record creation, redaction and encoding.
 *
 * Background work: where cores are few, the app's thread goes first. The
 * priority is lowered before anything else loads, because loading and
 * compiling the rest is most of the thread's start, and it starts while the
 * app makes its first records.
 */
import { lowerThisThreadPriority } from './threadPriority.js';

lowerThisThreadPriority();
await import('./exportWorkerService.js');
