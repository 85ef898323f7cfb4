/**
 * The two ETAs users compare against, reimplemented from their documented
 * formulas (not imported, so both run on exactly the same observations).
 */

/**
 * tqdm: `smoothing` is the EMA factor for speed estimates (0 = average speed,
 * 1 = current speed). tqdm smooths the item delta and the time delta of each
 * update separately (its EMA class) and divides; remaining = (total - n) / rate.
 */
export class TqdmEma {
  private dn = 0;
  private dt = 0;
  private calls = 0;
  private lastN = 0;
  private lastT = 0;
  private started = false;

  constructor(private readonly alpha = 0.3) {}

  observe(t: number, n: number): void {
    if (!this.started) {
      this.started = true;
      this.lastN = n;
      this.lastT = t;
      return;
    }
    const dn = n - this.lastN;
    const dt = t - this.lastT;
    this.lastN = n;
    this.lastT = t;
    // tqdm's EMA: bias-corrected exponential moving average.
    this.calls++;
    this.dn = this.alpha * dn + (1 - this.alpha) * this.dn;
    this.dt = this.alpha * dt + (1 - this.alpha) * this.dt;
  }

  remaining(total: number): number | undefined {
    if (this.calls === 0 || this.dt <= 0 || this.dn <= 0) return undefined;
    const beta = 1 - Math.pow(1 - this.alpha, this.calls);
    const rate = this.dn / beta / (this.dt / beta);
    return (total - this.lastN) / rate;
  }
}

/**
 * cli-progress: a moving buffer of the last `etaBuffer` (default 10) updates;
 * rate = (value_last - value_first) / (time_last - time_first) over the buffer;
 * eta = (total - value) / rate.
 */
export class CliProgressLinear {
  private readonly values: number[] = [];
  private readonly times: number[] = [];

  constructor(private readonly buffer = 10) {}

  observe(t: number, n: number): void {
    this.values.push(n);
    this.times.push(t);
    if (this.values.length > this.buffer) {
      this.values.shift();
      this.times.shift();
    }
  }

  remaining(total: number): number | undefined {
    if (this.values.length < 2) return undefined;
    const dv = this.values[this.values.length - 1]! - this.values[0]!;
    const dt = this.times[this.times.length - 1]! - this.times[0]!;
    if (dv <= 0 || dt <= 0) return undefined;
    return (total - this.values[this.values.length - 1]!) / (dv / dt);
  }
}
