import type { Alert } from '../core/alert.js';
import type { Run } from '../core/Run.js';

export interface LineStyle {
  readonly progressChar: string;
  readonly emptyChar: string;
  readonly barLength: number;
  readonly displayErrors: boolean;
  readonly color: boolean;
}

const RED = '\x1b[31m';
const YELLOW = '\x1b[33m';
const DIM = '\x1b[2m';
const RESET = '\x1b[0m';

/** 75 → "1m15s", 3725 → "1h02m"; seconds below a minute as "42s". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d${String(h % 24).padStart(2, '0')}h`;
}

export function formatRate(perSecond: number): string {
  if (perSecond >= 100) return perSecond.toFixed(0);
  if (perSecond >= 10) return perSecond.toFixed(1);
  return perSecond.toFixed(2);
}

const visibleLength = (s: string): number => s.replace(/\x1b\[[0-9;]*m/g, '').length;

/** Cuts to `width` visible characters, keeping escape codes balanced. */
export function truncate(line: string, width: number): string {
  if (visibleLength(line) <= width) return line;
  let out = '';
  let visible = 0;
  for (let i = 0; i < line.length && visible < width - 1; i++) {
    if (line[i] === '\x1b') {
      const end = line.indexOf('m', i);
      out += line.slice(i, end + 1);
      i = end;
      continue;
    }
    out += line[i];
    visible++;
  }
  return `${out}…${line.includes('\x1b[') ? RESET : ''}`;
}

/**
 * One run as one line: name, bar, percent, done/total, items/s, ETA with its
 * interval, errors and rate limits, the latest message. Pure: the same run
 * state and time give the same string.
 */
export function formatLine(run: Run, nowMs: number, style: LineStyle, width: number): string {
  const paint = (code: string, text: string) => (style.color ? `${code}${text}${RESET}` : text);
  const d = run.descriptor;
  const parts: string[] = [d.name];
  const progress = run.progress();
  if (progress !== undefined) {
    const filled = Math.round(progress * style.barLength);
    parts.push(style.progressChar.repeat(filled) + style.emptyChar.repeat(style.barLength - filled));
    parts.push(`${(progress * 100).toFixed(0).padStart(3)}%`);
    parts.push(`${run.completed}/${run.total}`);
  } else {
    parts.push(`${run.completed}`);
  }
  // Skipped items count as done: say so, or the count looks like successes.
  if (run.skipped > 0) parts.push(`${run.skipped} skipped`);
  parts.push(`${formatRate(run.itemsPerSecond(nowMs))}/s`);
  const eta = run.eta(nowMs);
  if (eta) {
    // The 80% interval: wide until the estimator has measured its own errors, then as wide as they were.
    const low = formatDuration(eta.interval.lowMs);
    const high = formatDuration(eta.interval.highMs);
    const interval = low === high ? '' : ` (${low}–${high})`;
    parts.push(`ETA ${formatDuration(eta.estimatedTimeRemainingMs)}${interval}`);
  } else if (run.isActive) {
    parts.push(`${formatDuration(run.elapsedMs(nowMs))} elapsed`);
  }
  const stats = run.stats;
  if (style.displayErrors && stats.errors > 0) parts.push(paint(RED, `${stats.errors} err`));
  if (stats.rateLimitHits > 0) parts.push(paint(YELLOW, `${stats.rateLimitHits}×429`));
  const message = run.lastMessages.at(-1);
  if (message) parts.push(paint(DIM, message));
  return truncate(parts.join('  '), width);
}

/** The one line printed when a run finishes. */
export function formatSummary(run: Run, style: LineStyle, width: number): string {
  const summary = run.summary;
  const stats = run.stats;
  const d = stats.chunkDurations;
  const mark = summary?.status === 'completed' ? '✔' : summary?.status === 'cancelled' ? '■' : '✖';
  const parts = [
    `${mark} ${run.descriptor.name}`,
    summary?.status ?? run.status,
    `${run.completed}${run.total === undefined ? '' : `/${run.total}`} items`,
    `${formatRate(run.itemsPerSecond(run.endTimeMs))}/s`,
    `in ${formatDuration(run.elapsedMs(run.endTimeMs))}`,
  ];
  if (run.failed > 0) parts.push(`${run.failed} failed`);
  if (run.skipped > 0) parts.push(`${run.skipped} skipped`);
  if (stats.errors > 0 && style.displayErrors) {
    const byType = [...stats.errorsByType.entries()].map(([type, count]) => `${type}×${count}`).join(' ');
    parts.push(`errors ${byType}`);
  }
  if (stats.rateLimitHits > 0) parts.push(`${stats.rateLimitHits}×429 (waited ${formatDuration(stats.rateLimitWaitMs)})`);
  if (d.count > 0) parts.push(`chunk p50/p95/p99 ${d.quantile(0.5).toFixed(0)}/${d.quantile(0.95).toFixed(0)}/${d.quantile(0.99).toFixed(0)} ms`);
  const line = parts.join(', ');
  return truncate(style.color && summary?.status !== 'completed' ? `${RED}${line}${RESET}` : line, width);
}

/** One line when an alert episode starts or ends: printed once above the live lines. */
export function formatAlert(run: Run, alert: Alert, style: LineStyle): string {
  const paint = (code: string, text: string) => (style.color ? `${code}${text}${RESET}` : text);
  if (alert.state === 'firing') {
    const code = alert.severity === 'high' || alert.severity === 'critical' ? RED : YELLOW;
    return paint(code, `⚠ ${run.descriptor.name}: ${alert.group} (${alert.severity}): ${alert.message}`);
  }
  const lasted = alert.resolvedAtMs === undefined ? '' : ` after ${formatDuration(alert.resolvedAtMs - alert.raisedAtMs)}`;
  // Episodes still open at the end close with the run: say so rather than claim the condition cleared.
  const how = run.isFinished ? 'closed with the run' : 'resolved';
  return paint(DIM, `✓ ${run.descriptor.name}: ${alert.group} ${how}${lasted}`);
}
