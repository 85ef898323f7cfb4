/**
 * Draws captured terminal text as an SVG (docs/img/terminal.svg): a dark
 * window with the lines in a monospace font, bars and markers coloured as a
 * colour terminal shows them. Text in, text out: the picture is exactly the
 * captured screen.
 */
const CHAR_W = 8.4;
const LINE_H = 19;
const PAD = 16;
const TITLE_H = 28;

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Spans of one line with their colour: filled bar cells, empty cells, markers, the rest. */
function colour(line: string): string {
  const parts: string[] = [];
  for (const m of line.matchAll(/(█+)|(░+)|(✔|✓)|(✖|✗)|(⚠)|([^█░✔✓✖✗⚠]+)/g)) {
    const [text] = m;
    const fill = m[1] ? '#4aa3ff' : m[2] ? '#3a4150' : m[3] ? '#3fb950' : m[4] ? '#f85149' : m[5] ? '#d29922' : undefined;
    parts.push(fill ? `<tspan fill="${fill}">${escape(text)}</tspan>` : escape(text));
  }
  return parts.join('');
}

export function terminalSvg(text: string, title = 'three runs in one terminal'): string {
  const lines = text
    .replace(/\s+$/, '')
    .split('\n')
    .map((line) => line.trimEnd());
  const cols = Math.max(60, ...lines.map((line) => [...line].length));
  const width = Math.ceil(cols * CHAR_W + 2 * PAD);
  const height = TITLE_H + lines.length * LINE_H + 2 * PAD - 4;
  const rows = lines.map((line, i) => `  <text x="${PAD}" y="${TITLE_H + PAD + i * LINE_H + 10}" xml:space="preserve">${colour(line)}</text>`).join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escape(title)} in a terminal">
  <rect width="${width}" height="${height}" rx="8" fill="#0d1117"/>
  <circle cx="18" cy="14" r="5" fill="#f85149"/><circle cx="36" cy="14" r="5" fill="#d29922"/><circle cx="54" cy="14" r="5" fill="#3fb950"/>
  <text x="${width / 2}" y="18" text-anchor="middle" fill="#8b949e" font-family="sans-serif" font-size="12">${escape(title)}</text>
  <g fill="#c9d1d9" font-family="'DejaVu Sans Mono', Menlo, Consolas, monospace" font-size="14">
${rows}
  </g>
</svg>
`;
}
