/**
 * Resume: calls parked while the administrator decides, resumed after ONAPPMETHODCONFIRM, against the emulator with
 * Bitrix24's rate limit on (2/s, burst 50 per portal). Time until every continuation ran, REST requests used.
 */
import type { ResumeOutcome } from '../src/index.js';
import { BITRIX24_RATE_LIMIT } from '../src/protocol/index.js';
import { eventually } from '../test/helpers/app.js';
import { startStack } from '../test/helpers/stack.js';

export interface ResumeFigures {
  portals: number;
  callsPerPortal: number;
  seconds: number;
  restRequests: number;
  callsPerRequest: number;
  rateLimited: number;
}

export async function resume(portals: number, callsPerPortal: number): Promise<ResumeFigures> {
  const stack = await startStack({ emulator: { rateLimit: false } });
  try {
    const members = [stack.memberId];
    for (let i = 1; i < portals; i++) {
      const { portal } = await stack.emulator.install(`${stack.appUrl}/bitrix24/install`);
      members.push(portal.memberId);
    }
    // Parking takes one request per call: let those through quickly, with workers off.
    const parker = stack.newApp({ workers: false, rest: { rateLimit: { perSecond: 100_000, burst: 100_000 } } });
    stack.serve(parker);
    await stack.app.close();
    for (const member of members) {
      const client = parker.rest(member);
      for (let i = 0; i < callsPerPortal; i += 50) {
        await Promise.all(
          Array.from({ length: Math.min(50, callsPerPortal - i) }, (_, k) =>
            client.call('voximplant.user.get', { USER_ID: i + k + 1 }, { whenWaiting: { park: 'bench' } }),
          ),
        );
      }
    }
    for (const member of members) stack.emulator.portal(member).limits.setRateLimit(BITRIX24_RATE_LIMIT);
    const resumer = stack.newApp({ rest: {}, parkedCalls: { pollMs: 50 } });
    let done = 0;
    resumer.resume('bench', (_outcome: ResumeOutcome) => void done++);
    stack.serve(resumer);
    await resumer.ready();
    const before = { requests: stack.emulator.stats.restRequests, limited: stack.emulator.stats.rateLimited };
    const started = performance.now();
    for (const prompt of stack.emulator.waiting()) await stack.emulator.decide(prompt.id, true);
    const total = portals * callsPerPortal;
    await eventually(() => done === total, 600_000);
    const restRequests = stack.emulator.stats.restRequests - before.requests;
    return {
      portals,
      callsPerPortal,
      seconds: (performance.now() - started) / 1000,
      restRequests,
      callsPerRequest: total / Math.max(1, restRequests),
      rateLimited: stack.emulator.stats.rateLimited - before.limited,
    };
  } finally {
    await stack.close();
  }
}
