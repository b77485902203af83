/**
 * Installing an app with a UI, as the portal does it: the install URL opens in a frame with a form POST of the
 * administrator's tokens (AUTH_ID, REFRESH_ID, ...) and the query DOMAIN, PROTOCOL, LANG, APP_SID; the frame's name
 * is `host|protocol|APP_SID`, which the BX24 library reads to find its parent. The installation is finished when
 * the page calls BX24.installFinish(). Without a browser, `frameInstall` posts the same form and reads the answer.
 */
import { newSecret } from './oauth.js';
import type { Emulator, PortalState } from './portal.js';

export interface FrameRequest {
  /** The install URL with the query string the portal adds. */
  action: string;
  /** The POST fields; they hold the administrator's tokens. */
  fields: Record<string, string>;
  appSid: string;
  /** `host|0|APP_SID`: the frame's window.name, naming the parent for postMessage. */
  frameName: string;
  /** What the parent answers to the BX24 library's getInitData. */
  initData: Record<string, unknown>;
}

/** Fresh tokens and the frame's form for a portal whose app is being opened; `parentHost` is the emulator's host:port. */
export function frameRequest(emulator: Emulator, portal: PortalState, parentHost: string): FrameRequest {
  const tokens = emulator.issueTokens(portal);
  const appSid = newSecret();
  const query = new URLSearchParams({ DOMAIN: portal.domain, PROTOCOL: '1', LANG: 'en', APP_SID: appSid });
  const action = `${portal.installUrl}${portal.installUrl.includes('?') ? '&' : '?'}${query}`;
  const fields = {
    AUTH_ID: tokens.access_token,
    AUTH_EXPIRES: String(tokens.expires_in),
    REFRESH_ID: tokens.refresh_token,
    SERVER_ENDPOINT: tokens.server_endpoint,
    APPLICATION_TOKEN: portal.applicationToken,
    APPLICATION_SCOPE: tokens.scope,
    member_id: portal.memberId,
    status: tokens.status,
    PLACEMENT: 'DEFAULT',
    PLACEMENT_OPTIONS: '{}',
  };
  const initData = {
    DOMAIN: parentHost,
    PROTOCOL: 0,
    LANG: 'en',
    APP_SID: appSid,
    PATH: '/marketplace/app/1/',
    AUTH_ID: tokens.access_token,
    AUTH_EXPIRES: tokens.expires_in,
    REFRESH_ID: tokens.refresh_token,
    MEMBER_ID: portal.memberId,
    IS_ADMIN: true,
    INSTALL: portal.status === 'installing',
    FIRST_RUN: false,
    PLACEMENT: 'DEFAULT',
    PLACEMENT_OPTIONS: {},
    USER_OPTIONS: {},
    APP_OPTIONS: {},
  };
  return { action, fields, appSid, frameName: `${parentHost}|0|${appSid}`, initData };
}

export interface FrameReport {
  status: number | 'failed';
  html: boolean;
  loadsBx24: boolean;
  callsInstallFinish: boolean;
  finished: boolean;
}

const BX24_SCRIPT = /<script\b[^>]*\bsrc\s*=\s*["'][^"']*\/api\/v1\/?(?:[?#][^"']*)?["']/i;

/** `emulator install --ui` without a browser: the frame's POST, and whether the page would finish the installation. */
export async function frameInstall(emulator: Emulator, portal: PortalState, parentHost: string): Promise<FrameReport> {
  const request = frameRequest(emulator, portal, parentHost);
  let status: FrameReport['status'] = 'failed';
  let text = '';
  let html = false;
  try {
    const response = await fetch(request.action, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', referer: `http://${parentHost}/` },
      body: new URLSearchParams(request.fields),
      signal: AbortSignal.timeout(10_000),
    });
    status = response.status;
    html = (response.headers.get('content-type') ?? '').toLowerCase().startsWith('text/html');
    text = (await response.text()).slice(0, 1024 * 1024);
  } catch {
    // Recorded as failed below; the portal stays "installing".
  }
  const loadsBx24 = BX24_SCRIPT.test(text);
  const callsInstallFinish = /\binstallFinish\s*\(/.test(text);
  const finished = status === 200 && html && loadsBx24 && callsInstallFinish;
  if (finished) emulator.finishInstall(portal.memberId);
  return { status, html, loadsBx24, callsInstallFinish, finished };
}
