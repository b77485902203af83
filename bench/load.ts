/** One round of load with autocannon: every request a distinct real event body; requests/s, p50, p99, errors. */
import autocannon from 'autocannon';
import { confirmBody, type Portal } from './bodies.js';
import { cpuMs } from './processes.js';

export interface LoadResult {
  connections: number;
  seconds: number;
  requests: number;
  /** Requests answered 2xx per second. */
  rps: number;
  p50: number;
  p99: number;
  /** Answers other than 2xx, and connection errors and timeouts. */
  non2xx: number;
  errors: number;
  /** CPU time the server used per answered request, in microseconds: a figure a busy machine disturbs less. */
  cpuUsPerRequest: number;
}

let round = 0;

export async function load(
  url: string,
  list: Portal[],
  connections: number,
  seconds: number,
  serverPid?: number,
): Promise<LoadResult> {
  const tag = `b${process.pid}r${round++}n`;
  let n = 0;
  const cpuBefore = serverPid ? cpuMs(serverPid) : 0;
  const result = await autocannon({
    url,
    connections,
    duration: seconds,
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    requests: [{ setupRequest: (request) => ({ ...request, body: confirmBody(list, n++, tag) }) }],
  });
  const ok = result['2xx'];
  const cpu = serverPid ? cpuMs(serverPid) - cpuBefore : 0;
  return {
    connections,
    seconds,
    requests: ok,
    rps: Math.round(ok / seconds),
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    cpuUsPerRequest: Math.round((cpu * 1000) / Math.max(1, ok)),
  };
}
