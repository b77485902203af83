/**
 * The emulator's install pages: `GET /install` (a form: install the app, with or without a UI) and
 * `GET /install?member_id=M` (the portal frames the app's install URL with the form POST, answers the BX24
 * library's messages, and marks the portal installed when the frame calls BX24.installFinish()).
 */
import type { FrameRequest } from './install-frame.js';

export const escapeHtml = (text: unknown) =>
  String(text).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

/** JSON inside a <script>: nothing in it can close the script element. */
const scriptJson = (value: unknown) =>
  JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');

const STYLE = `body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 64rem; color: #1f2d3d; }
  h1 { font-size: 1.4rem; } label { display: block; margin: .5rem 0; } input[type=text] { width: 28rem; }
  button { border: 0; border-radius: 4px; padding: .35rem .9rem; cursor: pointer; color: #fff; background: #2fc6f6; }
  iframe { width: 100%; height: 28rem; border: 1px solid #e3e8ee; }`;

export function renderInstallForm(appUrl: string, csrf: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Install an app: Bitrix24 emulator</title><style>${STYLE}</style></head>
<body>
<h1>Install the application</h1>
<form method="post" action="/admin/install" id="install-form">
  <input type="hidden" name="csrf" value="${escapeHtml(csrf)}">
  <label>App URL (the install URL is {app URL}/bitrix24/install) <input type="text" name="appUrl" value="${escapeHtml(appUrl)}"></label>
  <label>Portal domain (optional) <input type="text" name="domain"></label>
  <label>Region <select name="region"><option value="west">west (oauth.bitrix.info)</option><option value="east">east (oauth.bitrix24.tech)</option></select></label>
  <label><input type="checkbox" name="ui" value="1" checked> The app has a UI: open its install page in a frame (no ONAPPINSTALL)</label>
  <button type="submit">Install</button>
</form>
<p><a href="/">Back to notifications</a></p>
</body></html>`;
}

/** The parent window of the app's frame; it speaks the BX24 library's postMessage format (`command:params:callback:APP_SID`). */
export function renderFramePage(request: FrameRequest, memberId: string): string {
  const inputs = Object.entries(request.fields)
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Installing: Bitrix24 emulator</title><style>${STYLE}</style></head>
<body>
<h1>Installing the application</h1>
<p>State: <strong id="install-state" data-state="installing">installing, waiting for BX24.installFinish()</strong></p>
<form id="frame-form" method="post" target="${escapeHtml(request.frameName)}" action="${escapeHtml(request.action)}">${inputs}</form>
<iframe id="app-frame" name="${escapeHtml(request.frameName)}"></iframe>
<p><a href="/">Back to notifications</a></p>
<script>
(() => {
  const init = ${scriptJson(request.initData)};
  const memberId = ${scriptJson(memberId)};
  const form = document.getElementById('frame-form');
  const frame = document.getElementById('app-frame');
  const state = document.getElementById('install-state');
  const appOrigin = new URL(form.action).origin;
  const show = (value, text) => { state.dataset.state = value; state.textContent = text; };
  const finish = () => fetch('/admin/portals/' + encodeURIComponent(memberId) + '/install-finish', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
    .then((r) => r.json().then((body) => r.ok ? show('installed', 'installed') : show('failed', body.message || 'refused')));
  window.addEventListener('message', (event) => {
    if (event.origin !== appOrigin || event.source !== frame.contentWindow || typeof event.data !== 'string') return;
    const parts = event.data.split(':');
    if (parts.length < 2 || parts[parts.length - 1] !== init.APP_SID) return;
    const command = parts[0];
    const callback = parts.length > 2 ? parts[parts.length - 2] : '';
    const reply = (data) => { if (callback) event.source.postMessage(callback + ':' + JSON.stringify(data), appOrigin); };
    if (command === 'getInitData' || command === 'refreshAuth') return reply(init);
    if (command === 'setInstallFinish') return void finish().then(() => reply({}));
    reply({});
  });
  form.submit();
})();
</script>
</body></html>`;
}
