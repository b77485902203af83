/**
 * Is this event from Bitrix24? The only proof is `auth.application_token` matched against the one stored for the
 * portal. A pure function with its checks in a fixed order, each failure its own reason; `isGenuine` is its
 * yes/no twin. ONAPPINSTALL is proved differently (see install-verifier.ts).
 */
import { B24EventsError, secretsEqual } from '../protocol/index.js';
import type { Installation } from '../store/schema.js';

export type RefusalReason = 'unknown_portal' | 'installation_not_finished' | 'uninstalled' | 'token_mismatch';

export class EventNotVerifiedError extends B24EventsError {
  constructor(
    readonly reason: RefusalReason | 'install_not_verified',
    readonly memberId: string,
    message: string,
  ) {
    super(reason, message, 403, { memberId });
  }
}

export type Verification = { ok: true; installation: Installation } | { ok: false; error: EventNotVerifiedError };

const explain: Record<RefusalReason, (memberId: string) => string> = {
  unknown_portal: (m) =>
    `No installation is known for member_id ${m}. Events are accepted once the app has received ONAPPINSTALL from this portal, or after "b24-events installations add".`,
  installation_not_finished: (m) =>
    `The installation for member_id ${m} is not finished (ONAPPINSTALL said INSTALLED=N); events are accepted once it is.`,
  uninstalled: (m) =>
    `The app was uninstalled from member_id ${m}; its events are refused until the portal installs the app again.`,
  token_mismatch: (m) =>
    `auth.application_token does not match the one stored for member_id ${m}. If the app was reinstalled or updated while this server missed the event, register the new token with "b24-events installations add".`,
};

export function refusal(reason: RefusalReason, memberId: string): EventNotVerifiedError {
  return new EventNotVerifiedError(reason, memberId, explain[reason](memberId));
}

export function verifyApplicationToken(
  installation: Installation | undefined,
  memberId: string,
  applicationToken: string,
): Verification {
  if (!installation) return { ok: false, error: refusal('unknown_portal', memberId) };
  if (installation.status === 'uninstalled') return { ok: false, error: refusal('uninstalled', memberId) };
  if (!secretsEqual(installation.application_token, applicationToken)) {
    return { ok: false, error: refusal('token_mismatch', memberId) };
  }
  if (installation.status === 'installing') {
    return { ok: false, error: refusal('installation_not_finished', memberId) };
  }
  return { ok: true, installation };
}

export function isGenuine(installation: Installation | undefined, memberId: string, applicationToken: string): boolean {
  return verifyApplicationToken(installation, memberId, applicationToken).ok;
}
