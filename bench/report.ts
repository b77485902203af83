/** The figures of one run, the issue's targets checked against them, and the lines printed and drawn. */
import type { IngestFigures } from './ingest.js';
import type { ResumeFigures } from './resume.js';
import type { ScaleFigures } from './scale.js';
import type { SoakFigures } from './soak.js';

export interface Results {
  date: string;
  quick: boolean;
  machine: { cpus: number; loadAverage: number[]; node: string };
  ingest: IngestFigures[];
  scale: ScaleFigures[];
  resume: ResumeFigures[];
  soak: SoakFigures[];
  targets: { name: string; value: string; target: string; met: boolean }[];
  notes: string[];
  seconds: number;
}

const fixed = (n: number, digits = 2) => n.toFixed(digits);

export function ingestLines(rows: IngestFigures[]): string[] {
  return rows.map((r) => {
    const f = (name: string, l: IngestFigures['b24']) =>
      `${name} ${l.rps} req/s p50 ${l.p50} ms p99 ${l.p99} ms${l.non2xx + l.errors > 0 ? ` (${l.non2xx} non-2xx, ${l.errors} errors)` : ''}`;
    return `ingest ${r.engine} ${r.connections} conn: ${f('b24-events', r.b24)} | ${f('bare', r.bare)} | ${f('by hand', r.byHand)} | ratio to bare ${fixed(r.ratioToBare, 3)}, to by hand ${fixed(r.ratioToByHand)}`;
  });
}

export function otherLines(results: Pick<Results, 'scale' | 'resume' | 'soak'>): string[] {
  return [
    ...results.scale.map(
      (s) =>
        `scale ${s.engine}: ${s.events.toLocaleString('en')} events and ${s.portals.toLocaleString('en')} portals ${s.full.rps} req/s (p99 ${s.full.p99} ms) vs empty store ${s.empty.rps} req/s: ratio ${fixed(s.ratio)}`,
    ),
    ...results.resume.map(
      (r) =>
        `resume ${r.portals} portal(s) × ${r.callsPerPortal} calls: ${fixed(r.seconds, 1)} s, ${r.restRequests} REST requests (${fixed(r.callsPerRequest, 1)} calls each), ${r.rateLimited} rate-limit errors`,
    ),
    ...results.soak.map(
      (s) =>
        `soak ${s.engine} ${s.seconds} s (${s.requests} events): RSS ${s.rss.map(([, m]) => m).join(', ')} MiB; largest drift after ${s.warmUpSeconds} s of warm-up ${fixed(s.maxDrift * 100, 1)}%`,
    ),
  ];
}

/** The issue's targets (ratios from one run): each with the value reached. */
export function targets(results: Pick<Results, 'ingest' | 'scale' | 'resume' | 'soak'>): Results['targets'] {
  const out: Results['targets'] = [];
  for (const r of results.ingest.filter((i) => i.connections === 32)) {
    out.push(
      {
        name: `ingest ${r.engine} 32 conn vs bare`,
        value: fixed(r.ratioToBare, 3),
        target: '≥ 0.45',
        met: r.ratioToBare >= 0.45,
      },
      {
        name: `ingest ${r.engine} 32 conn vs by hand`,
        value: fixed(r.ratioToByHand),
        target: '≥ 5',
        met: r.ratioToByHand >= 5,
      },
      { name: `ingest ${r.engine} 32 conn p99`, value: `${r.b24.p99} ms`, target: '< 20 ms', met: r.b24.p99 < 20 },
    );
  }
  for (const s of results.scale) {
    out.push({ name: `scale ${s.engine}`, value: fixed(s.ratio), target: '≥ 0.9', met: s.ratio >= 0.9 });
  }
  for (const r of results.resume) {
    out.push({
      name: `resume ${r.portals}×${r.callsPerPortal}`,
      value: `${fixed(r.callsPerRequest, 1)} calls/request, ${r.rateLimited} limited`,
      target: '≥ 45 calls/request, 0 limited',
      met: r.callsPerRequest >= 45 && r.rateLimited === 0,
    });
  }
  for (const s of results.soak) {
    out.push({
      name: `soak ${s.engine} RSS drift`,
      value: `${fixed(s.maxDrift * 100, 1)}%`,
      target: '≤ 20%',
      met: s.maxDrift <= 0.2,
    });
  }
  return out;
}
