/** The emulator's page at `/`: the portal administrator's notifications, with Allow and Deny, like the real portal's. */
import { escapeHtml } from './install-page.js';
import { Emulator } from './portal.js';

/** `csrf` goes into every form: the emulator takes a form only with it (see guard.ts). */
export function renderPage(emulator: Emulator, csrf: string): string {
  const token = `<input type="hidden" name="csrf" value="${escapeHtml(csrf)}">`;
  const requests = emulator.waiting().map((r) => Emulator.describe(r));
  const portals = [...emulator.portals.values()];
  const rows = requests
    .map(
      (r) => `<tr data-request="${r.id}">
        <td>${r.id}</td><td>${escapeHtml(emulator.portal(r.memberId).domain)}</td><td><code>${escapeHtml(r.method)}</code></td>
        <td><code>${escapeHtml(r.tokenFingerprint)}</code></td><td>${escapeHtml(r.requestedAt.toISOString())}</td>
        <td><form method="post" action="/admin/requests/${r.id}/allow">${token}<button class="allow">Allow</button></form>
            <form method="post" action="/admin/requests/${r.id}/deny">${token}<button class="deny">Deny</button></form></td>
      </tr>`,
    )
    .join('');
  const portalRows = portals
    .map(
      (p) =>
        `<tr><td><code>${escapeHtml(p.memberId)}</code></td><td>${escapeHtml(p.domain)}</td><td>${p.region}</td><td>${p.status === 'installing' ? `<a href="/install?member_id=${encodeURIComponent(p.memberId)}">installing</a>` : p.status}</td><td>${escapeHtml(p.version)}</td><td>${p.bindings.map((b) => escapeHtml(b.event)).join(', ') || '-'}</td></tr>`,
    )
    .join('');
  const deliveries = emulator.deliveries
    .slice(-10)
    .reverse()
    .map(
      (d) =>
        `<tr><td>${escapeHtml(d.at.toISOString())}</td><td>${escapeHtml(d.event)}</td><td>${d.eventHandlerId}</td><td>${escapeHtml(d.url)}</td><td>${d.status}</td></tr>`,
    )
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Bitrix24 emulator</title>
<style>
  body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 64rem; color: #1f2d3d; }
  h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin-top: 2rem; }
  table { border-collapse: collapse; width: 100%; } td, th { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid #e3e8ee; }
  form { display: inline; } button { border: 0; border-radius: 4px; padding: .35rem .9rem; cursor: pointer; color: #fff; }
  .allow { background: #2fc6f6; } .deny { background: #ff5752; margin-left: .4rem; } .empty { color: #7b8794; }
</style></head>
<body>
<h1>Bitrix24 emulator</h1>
<p><a href="/install" id="install-link">Install the app</a></p>
<h2>Notifications: applications waiting for permission</h2>
${requests.length ? `<table id="requests"><tr><th>#</th><th>Portal</th><th>Method</th><th>Token</th><th>Requested at</th><th></th></tr>${rows}</table>` : '<p class="empty" id="no-requests">No application is waiting for permission.</p>'}
<h2>Portals</h2>
${portals.length ? `<table><tr><th>member_id</th><th>Domain</th><th>Region</th><th>App</th><th>Version</th><th>Bound events</th></tr>${portalRows}</table>` : '<p class="empty">No portal has the app installed yet.</p>'}
<h2>Last deliveries</h2>
${deliveries ? `<table><tr><th>At</th><th>Event</th><th>event_handler_id</th><th>To</th><th>Answer</th></tr>${deliveries}</table>` : '<p class="empty">No event was sent yet.</p>'}
</body></html>`;
}
