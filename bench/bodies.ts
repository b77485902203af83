/**
 * Real event bodies for the benchmarks, PHP-encoded as Bitrix24 sends them (test/fixtures/bodies.ts): the official
 * ONAPPMETHODCONFIRM sample for `portals` installed portals, each request a distinct event (its own data[TOKEN]).
 */
import { APPLICATION_TOKEN, CONFIRM_TOKEN, MEMBER_ID, methodConfirmGranted } from '../test/fixtures/bodies.js';

export interface Portal {
  memberId: string;
  applicationToken: string;
  domain: string;
}

const hex32 = (n: number, seed: string) => String(n).padStart(8, '0') + seed.slice(8);

export function portals(count: number): Portal[] {
  return Array.from({ length: count }, (_, i) => ({
    memberId: hex32(i, MEMBER_ID),
    applicationToken: hex32(i, APPLICATION_TOKEN),
    domain: `portal${i}.bitrix24.com`,
  }));
}

/** The body of event number `n`, from portal `n % portals.length`, with a token no other event carries. */
export function confirmBody(list: Portal[], n: number, run = 'r'): string {
  const portal = list[n % list.length]!;
  return methodConfirmGranted
    .replace(`TOKEN%5D=${CONFIRM_TOKEN}`, `TOKEN%5D=${run}${n}x${CONFIRM_TOKEN}`)
    .replaceAll(MEMBER_ID, portal.memberId)
    .replace(`application_token%5D=${APPLICATION_TOKEN}`, `application_token%5D=${portal.applicationToken}`)
    .replaceAll('portal.bitrix24.com', portal.domain);
}
