/**
 * Counts each kind of occurrence and tells the sink about the first of each
 * kind only: the one "report once" of the whole package (run problems, event
 * problems, delivery losses, announcements). A sink that throws is swallowed:
 * reporting must not break the caller.
 */
export class ReportOnce<Code extends string = string> {
  private readonly counts = new Map<Code, number>();

  constructor(private readonly sink: (code: Code, message: string) => void) {}

  /** Counts `code`; the first time, hands `message` to the sink. Returns whether this was the first. */
  report(code: Code, message: string): boolean {
    const seen = this.counts.get(code) ?? 0;
    this.counts.set(code, seen + 1);
    if (seen !== 0) return false;
    try {
      this.sink(code, message);
    } catch {
      // A broken sink must not break the caller either.
    }
    return true;
  }

  count(code: Code): number {
    return this.counts.get(code) ?? 0;
  }

  toJSON(): Partial<Record<Code, number>> {
    return Object.fromEntries(this.counts) as Partial<Record<Code, number>>;
  }
}
