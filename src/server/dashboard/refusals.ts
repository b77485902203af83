/** Refusals by reason, read from the app's metrics registry (counted since the process started). */
import type { B24App } from '../../app/create-app.js';

export async function refusalsByReason(app: B24App): Promise<Record<string, number>> {
  const metric = app.metrics.getSingleMetric('b24_events_refusals_total');
  if (!metric) return {};
  const { values } = await metric.get();
  return Object.fromEntries(values.map((v) => [String(v.labels.reason), v.value]));
}
