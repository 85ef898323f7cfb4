/**
 * At most `slots` of the returned function's tasks run at once; the rest wait
 * their turn, first come first served. For tests that start many processes on
 * a shared two-core machine.
 */
export function limit(slots: number): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: Array<() => void> = [];
  return async (task) => {
    // A finishing task hands its slot straight to the next in line, so `running` never overshoots.
    if (running < slots) running++;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  };
}
