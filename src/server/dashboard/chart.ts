/**
 * The dashboard's charts as numbers for an SVG template: events per minute by event over the last hours (one line per
 * event, the busiest few by name and the rest as "other"), and refusals by reason as bars. Nothing is drawn in the
 * browser.
 */
import type { MinuteCount } from '../../store/stats.js';

const WIDTH = 720;
const HEIGHT = 220;
const LEFT = 36;
const BOTTOM = 22;
const TOP = 8;
const MAX_SERIES = 6;
const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#6b7280'];

export interface LineChart {
  width: number;
  height: number;
  hours: number;
  series: { event: string; color: string; points: string; total: number }[];
  yTicks: { y: number; label: number }[];
  xTicks: { x: number; label: string; anchor: 'start' | 'middle' | 'end' }[];
  baseline: number;
  left: number;
  right: number;
}

const minuteKey = (ms: number) => new Date(ms).toISOString().slice(0, 16);

export function eventsChart(counts: readonly MinuteCount[], hours: number, now = Date.now()): LineChart {
  const minutes = hours * 60;
  const start = Math.floor(now / 60_000) * 60_000 - (minutes - 1) * 60_000;
  const slot = new Map<string, number>();
  for (let i = 0; i < minutes; i++) slot.set(minuteKey(start + i * 60_000), i);
  const totals = new Map<string, number>();
  for (const c of counts) totals.set(c.event, (totals.get(c.event) ?? 0) + c.count);
  const ranked = [...totals.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const named = new Set(
    ranked.slice(0, ranked.length > MAX_SERIES ? MAX_SERIES - 1 : MAX_SERIES).map(([event]) => event),
  );
  const perSeries = new Map<string, number[]>();
  for (const c of counts) {
    const i = slot.get(c.minute);
    if (i === undefined) continue;
    const name = named.has(c.event) ? c.event : 'other';
    const values = perSeries.get(name) ?? new Array<number>(minutes).fill(0);
    values[i] = (values[i] ?? 0) + c.count;
    perSeries.set(name, values);
  }
  const max = Math.max(1, ...[...perSeries.values()].flat());
  const plotWidth = WIDTH - LEFT - 8;
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const x = (i: number) => Math.round((LEFT + (minutes === 1 ? 0 : (i / (minutes - 1)) * plotWidth)) * 10) / 10;
  const y = (v: number) => Math.round((TOP + plotHeight - (v / max) * plotHeight) * 10) / 10;
  const series = [...perSeries.entries()].map(([event, values], k) => ({
    event,
    color: COLORS[k % COLORS.length]!,
    points: values.map((v, i) => `${x(i)},${y(v)}`).join(' '),
    total: values.reduce((a, b) => a + b, 0),
  }));
  const yTicks = [...new Set([0, Math.round(max / 2), max])].map((v) => ({ y: y(v), label: v }));
  const xTicks = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const i = Math.round(f * (minutes - 1));
    return {
      x: x(i),
      label: minuteKey(start + i * 60_000).slice(11),
      anchor: f === 0 ? ('start' as const) : f === 1 ? ('end' as const) : ('middle' as const),
    };
  });
  return { width: WIDTH, height: HEIGHT, hours, series, yTicks, xTicks, baseline: y(0), left: LEFT, right: WIDTH - 8 };
}

export interface BarChart {
  width: number;
  height: number;
  bars: { reason: string; count: number; y: number; width: number }[];
}

export function refusalsChart(byReason: Record<string, number>): BarChart {
  const entries = Object.entries(byReason)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1]);
  const max = Math.max(1, ...entries.map(([, n]) => n));
  const barSpace = WIDTH - 260;
  return {
    width: WIDTH,
    height: Math.max(1, entries.length) * 26 + 8,
    bars: entries.map(([reason, count], i) => ({
      reason,
      count,
      y: 4 + i * 26,
      width: Math.max(2, Math.round((count / max) * barSpace)),
    })),
  };
}
