/** Timers put around the receiver and the registered handlers, for the latency histograms in /metrics. */
import type { EventHandler } from '../core/inbox-task.js';
import type { Handle } from '../http/handle.js';

const seconds = (started: number) => (performance.now() - started) / 1000;

/** handle() with its time to answer observed, whatever the answer. */
export function timedHandle(handle: Handle, observe: (status: number, seconds: number) => void): Handle {
  return async (request) => {
    const started = performance.now();
    try {
      const answer = await handle(request);
      observe(answer.status, seconds(started));
      return answer;
    } catch (error) {
      observe(500, seconds(started));
      throw error;
    }
  };
}

/** A registered handler with each run's time observed, whether it returned or threw. */
export function timedHandler(
  event: string,
  handler: EventHandler,
  observe: (event: string, seconds: number) => void,
): EventHandler {
  return async (payload, ctx) => {
    const started = performance.now();
    try {
      return await handler(payload, ctx);
    } finally {
      observe(event, seconds(started));
    }
  };
}
