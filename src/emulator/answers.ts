/** How the portal writes a REST answer: `result` with its `time` block, or `error` with `error_description`. */

export interface RestAnswer {
  status: number;
  body: object;
}

export interface RestTime {
  start: number;
  finish: number;
  duration: number;
  processing: number;
  date_start: string;
  date_finish: string;
  operating_reset_at: number;
  operating: number;
}

/** PHP's date(DATE_ATOM): 2024-08-05T07:05:03+00:00. */
const atom = (ms: number) => `${new Date(ms).toISOString().slice(0, 19)}+00:00`;

/** The `time` block of an answer that started at `startedMs` (docs/protocol.md#77-limits: operating fields included). */
export function timing(startedMs: number, finishedMs = Date.now()): RestTime {
  const start = startedMs / 1000;
  const finish = Math.max(finishedMs, startedMs) / 1000;
  return {
    start,
    finish,
    duration: finish - start,
    processing: finish - start,
    date_start: atom(startedMs),
    date_finish: atom(finishedMs),
    operating_reset_at: Math.floor(start) + 600,
    operating: 0,
  };
}

export const ok = (result: unknown, extra: object = {}, startedMs = Date.now()): RestAnswer => ({
  status: 200,
  body: { result, ...extra, time: timing(startedMs) },
});

export const fail = (status: number, error: string, description: string): RestAnswer => ({
  status,
  body: { error, error_description: description },
});

/** PHP's json_encode: an array with keys 0..n-1 (or none) is a JSON list, any other is an object. */
export function phpArray(map: Record<string, unknown>): unknown[] | Record<string, unknown> {
  const keys = Object.keys(map);
  return keys.every((key, i) => key === String(i)) ? keys.map((key) => map[key]) : map;
}

/** The answer with the method's execution time in its `time`: `operating` and `operating_reset_at`. */
export function withUsage(answer: RestAnswer, usage: Pick<RestTime, 'operating' | 'operating_reset_at'>): RestAnswer {
  const body = answer.body as { time?: RestTime };
  return body.time ? { ...answer, body: { ...body, time: { ...body.time, ...usage } } } : answer;
}
