/** Why the app cannot call a portal now: no installation, not active, no tokens, or one that must be reinstalled. */
import { B24EventsError } from '../protocol/index.js';
import type { Installation } from '../store/schema.js';

export class PortalUnavailableError extends B24EventsError {
  constructor(
    readonly memberId: string,
    why: string,
    /** The installation's status, when there is one (`needs_reinstall`: only a new install of the app helps). */
    readonly installationStatus?: Installation['status'],
  ) {
    super('portal_unavailable', `REST calls to member_id ${memberId} are not possible: ${why}`, 409, {
      memberId,
      ...(installationStatus ? { status: installationStatus } : {}),
    });
  }
}

/** The error for an installation that cannot be called in its state (never quoting a token). */
export function unavailable(row: Installation): PortalUnavailableError {
  if (row.status === 'needs_reinstall')
    return new PortalUnavailableError(
      row.member_id,
      `the portal must reinstall the app. The OAuth server refused its refresh token for good${row.refresh_error ? ` (${row.refresh_error})` : ''}, so the app has no access to ${row.domain} any more; an administrator of the portal must install the app again, and the new ONAPPINSTALL brings fresh tokens.`,
      row.status,
    );
  return new PortalUnavailableError(row.member_id, `its installation is ${row.status}.`, row.status);
}
