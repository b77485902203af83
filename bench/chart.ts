/** The figures as one plain SVG: ingest requests/s per server (log scale), and the other figures as text under it. */
import type { Results } from './report.js';

const esc = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;');
const COLOURS = { bare: '#9aa5b1', byHand: '#e4a951', b24: '#2f6fb5' } as const;
const LABELS = { bare: 'bare node:http', byHand: 'by hand (Express + insert)', b24: 'b24-events serve' } as const;

export function chart(results: Results): string {
  const rows = results.ingest;
  const width = 860;
  const left = 190;
  const barHeight = 14;
  const groupHeight = barHeight * 3 + 14;
  const top = 60;
  const max = Math.max(10, ...rows.flatMap((r) => [r.bare.rps, r.byHand.rps, r.b24.rps]));
  const decades = Math.ceil(Math.log10(max));
  const x = (rps: number) => left + ((width - left - 120) * Math.log10(Math.max(1, rps))) / decades;
  const parts: string[] = [];
  rows.forEach((r, g) => {
    const y0 = top + g * groupHeight;
    parts.push(
      `<text x="10" y="${y0 + barHeight * 1.8}" font-size="13">${r.engine}, ${r.connections} conn.</text>`,
      `<text x="10" y="${y0 + barHeight * 2.9}" font-size="11" fill="#555">×${r.ratioToBare.toFixed(2)} bare, ×${r.ratioToByHand.toFixed(1)} by hand</text>`,
    );
    (['bare', 'byHand', 'b24'] as const).forEach((key, i) => {
      const y = y0 + i * barHeight;
      const { rps, p99 } = r[key];
      parts.push(
        `<rect x="${left}" y="${y}" width="${Math.max(1, x(rps) - left).toFixed(1)}" height="${barHeight - 2}" fill="${COLOURS[key]}"/>`,
        `<text x="${(x(rps) + 4).toFixed(1)}" y="${y + barHeight - 4}" font-size="11">${rps.toLocaleString('en')} req/s, p99 ${p99} ms</text>`,
      );
    });
  });
  const ticks = Array.from({ length: decades + 1 }, (_, d) => 10 ** d)
    .map(
      (v) => `<line x1="${x(v)}" x2="${x(v)}" y1="${top - 6}" y2="${top + rows.length * groupHeight}" stroke="#ddd"/>
      <text x="${x(v)}" y="${top - 10}" font-size="10" text-anchor="middle">${v.toLocaleString('en')}</text>`,
    )
    .join('');
  const legend = (['bare', 'byHand', 'b24'] as const)
    .map(
      (k, i) => `<rect x="${left + i * 200}" y="12" width="12" height="12" fill="${COLOURS[k]}"/>
      <text x="${left + i * 200 + 16}" y="22" font-size="12">${LABELS[k]}</text>`,
    )
    .join('');
  const notes = results.notes.map(
    (line, i) => `<text x="10" y="${top + rows.length * groupHeight + 24 + i * 16}" font-size="12">${esc(line)}</text>`,
  );
  const height = top + rows.length * groupHeight + 30 + results.notes.length * 16;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">
<title>b24-events ingest next to its baselines (requests/s, log scale)</title>
<rect width="100%" height="100%" fill="#fff"/>${legend}${ticks}
${parts.join('\n')}
${notes.join('\n')}
</svg>
`;
}
