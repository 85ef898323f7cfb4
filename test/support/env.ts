/**
 * Puts the environment back as `saved` had it. Assigning `process.env = saved`
 * would swap Node's environment object for a plain one: later writes (TMPDIR for
 * the next test file, variables for child processes) would then miss the real
 * environment that os.tmpdir() and spawned processes read.
 */
export function restoreEnv(saved: Readonly<Record<string, string | undefined>>): void {
  for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
  for (const [key, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
}
