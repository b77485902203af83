/**
 * The portal's limits on a running emulator (docs/protocol.md#77-limits): its request limit, a method blocked for some
 * seconds (OPERATION_TIME_LIMIT), support's manual block (OVERLOAD_LIMIT), and what each portal saw of them.
 */
import type { Command } from 'commander';
import type { LimitStats } from '../emulator/limits.js';
import { action, admin, memberIdOption, portalPath } from './emulator-admin.js';
import { UsageError } from './common.js';

interface LimitsView extends LimitStats {
  memberId: string;
  rateLimit: string;
  overloaded: boolean;
}

const show = (p: LimitsView) =>
  `${p.memberId}  rate ${p.rateLimit}${p.overloaded ? '  OVERLOADED' : ''}  requests ${p.requests}  ` +
  `QUERY_LIMIT_EXCEEDED ${p.queryLimitExceeded}  OPERATION_TIME_LIMIT ${p.operationTimeLimit}  ` +
  `OVERLOAD_LIMIT ${p.overloadLimit}  peak ${p.peakPerSecond}/s  peak bucket ${Math.ceil(p.peakBucketLevel)}`;

export function limitCommands(): Command[] {
  return [
    action(
      memberIdOption(
        admin('rate-limit', "set the portal's request limit (2/50 most plans, 5/250 Enterprise), or off"),
      ).argument('<rate/burst>', 'requests per second / burst, or off'),
      (args, o) => ['POST', portalPath(o, 'rate-limit'), { rateLimit: args[0] }],
      show,
    ),
    action(
      memberIdOption(admin('overload', "block the portal's REST API as Bitrix24 support does: OVERLOAD_LIMIT")).option(
        '--off',
        'lift the block',
        false,
      ),
      (_a, o) => ['POST', portalPath(o, 'overload'), { on: !o.off }],
      show,
    ),
    action(
      memberIdOption(admin('block-method', 'block a method for some seconds: OPERATION_TIME_LIMIT (429)'))
        .argument('<method>', 'e.g. crm.deal.list')
        .option('--seconds <n>', 'how long', '600'),
      (args, o) => {
        if (!(Number(o.seconds) > 0)) throw new UsageError(`--seconds must be a number above 0, not "${o.seconds}".`);
        return ['POST', portalPath(o, 'block-method'), { method: args[0], seconds: Number(o.seconds) }];
      },
      (a: LimitsView & { method: string; blockedUntil: string }) => `${a.method} is blocked until ${a.blockedUntil}.`,
    ),
    action(
      admin('stats', 'per portal: requests, refusals for each limit, the peak request rate and bucket level'),
      () => ['GET', '/admin/stats'],
      (a: LimitsView[]) => (a.length ? a.map(show).join('\n') : 'No portal yet.'),
    ),
  ];
}
