/** The overview (counts and charts), Portals, Permissions and Parked calls pages. */
export const overview = `<% layout('@layout') %>
<h1>Overview</h1>
<div class="cards">
  <div class="card">Active portals<b data-count="portals"><%= it.portals %></b></div>
  <div class="card">Events waiting for handlers<b data-count="backlog"><%= it.backlog %></b></div>
  <div class="card">Failed events<b data-count="failed-events"><%= it.failedEvents %></b></div>
  <div class="card">Parked calls waiting<b data-count="calls-waiting"><%= it.callsWaiting %></b></div>
  <div class="card">Failed parked calls<b data-count="failed-calls"><%= it.failedCalls %></b></div>
</div>
<h2 id="events-chart-title">Events per minute, last <%= it.chart.hours %> h</h2>
<form class="filters" method="get" action="<%= it.base %>/">
  <label>Hours <select name="hours"><% for (const h of [1, 3, 6, 12, 24]) { %><option value="<%= h %>"<% if (h === it.chart.hours) { %> selected<% } %>><%= h %></option><% } %></select></label>
  <button type="submit">Show</button>
</form>
<div class="legend" id="events-legend">
<% if (it.chart.series.length === 0) { %><span>No events in this time.</span><% } %>
<% for (const s of it.chart.series) { %><span><i style="background: <%= s.color %>"></i><%= s.event %> (<%= s.total %>)</span><% } %>
</div>
<svg id="events-chart" viewBox="0 0 <%= it.chart.width %> <%= it.chart.height %>" role="img" aria-labelledby="events-chart-title">
  <line x1="<%= it.chart.left %>" y1="<%= it.chart.baseline %>" x2="<%= it.chart.right %>" y2="<%= it.chart.baseline %>" stroke="#94a3b8"/>
  <% for (const t of it.chart.yTicks) { %><text x="<%= it.chart.left - 6 %>" y="<%= t.y + 4 %>" font-size="11" text-anchor="end" fill="#475569"><%= t.label %></text><% } %>
  <% for (const t of it.chart.xTicks) { %><text x="<%= t.x %>" y="<%= it.chart.height - 6 %>" font-size="11" text-anchor="<%= t.anchor %>" fill="#475569"><%= t.label %></text><% } %>
  <% for (const s of it.chart.series) { %><polyline data-event="<%= s.event %>" fill="none" stroke="<%= s.color %>" stroke-width="1.5" points="<%= s.points %>"><title><%= s.event %>: <%= s.total %></title></polyline><% } %>
</svg>
<h2 id="refusals-title">Refusals by reason since the server started</h2>
<% if (it.refusals.bars.length === 0) { %><p id="no-refusals">No delivery was refused.</p><% } else { %>
<svg id="refusals-chart" viewBox="0 0 <%= it.refusals.width %> <%= it.refusals.height %>" role="img" aria-labelledby="refusals-title">
  <% for (const b of it.refusals.bars) { %>
  <g data-reason="<%= b.reason %>"><text x="0" y="<%= b.y + 15 %>" font-size="12" fill="#1f2937"><%= b.reason %></text>
  <rect x="200" y="<%= b.y %>" width="<%= b.width %>" height="20" fill="#dc2626"/><text x="<%= 206 + b.width %>" y="<%= b.y + 15 %>" font-size="12"><%= b.count %></text></g>
  <% } %>
</svg>
<% } %>`;

export const portals = `<% layout('@layout') %>
<h1>Portals</h1>
<% if (it.rows.length === 0) { %><p>No portal has installed the app yet.</p><% } else { %>
<div class="scroll"><table id="portals">
<thead><tr><th>Domain</th><th>member_id</th><th>Region</th><th>Status</th><th>Version</th><th>Installed</th><th>Updated</th><th>Token expires</th><th>Tokens refreshed</th></tr></thead>
<tbody>
<% for (const p of it.rows) { %>
<tr data-member-id="<%= p.memberId %>"><td><%= p.domain %></td><td><code><%= p.memberId %></code></td><td><%= p.region %></td>
<td><span class="badge s-<%= p.status %>"><%= p.status %></span></td><td><%= p.version ?? '-' %></td><td><%= p.installedAt %></td><td><%= p.updatedAt %></td><td><%= p.accessExpiresAt ?? '-' %></td><td><%= p.tokensRefreshedAt ?? '-' %></td></tr>
<% } %>
</tbody></table></div>
<% } %>`;

const portalSelect = `<label>Portal <select name="memberId"><option value="">all</option><% for (const p of it.portals) { %><option value="<%= p.memberId %>"<% if (p.memberId === it.filter.memberId) { %> selected<% } %>><%= p.domain %></option><% } %></select></label>`;
const stateSelect = (name: string, states: string) =>
  `<label>${name === 'state' ? 'State' : 'Status'} <select name="${name}"><option value="">all</option><% for (const s of ${states}) { %><option<% if (s === it.filter.${name}) { %> selected<% } %>><%= s %></option><% } %></select></label>`;

export const permissions = `<% layout('@layout') %>
<h1>Permissions</h1>
<form class="filters" method="get" action="<%= it.base %>/permissions">
  ${portalSelect}
  <label>Method <input name="method" value="<%= it.filter.method ?? '' %>" placeholder="voximplant.user.get"></label>
  ${stateSelect('state', "['waiting', 'granted', 'denied', 'expired']")}
  <button type="submit">Filter</button>
</form>
<% if (it.rows.length === 0) { %><p>No decisions match.</p><% } else { %>
<div class="scroll"><table id="permissions">
<thead><tr><th>Portal</th><th>Method</th><th>State</th><th>Token</th><th>Requested</th><th>Decided</th><th>Language</th></tr></thead>
<tbody>
<% for (const p of it.rows) { %>
<tr data-state="<%= p.state %>"><td><%= p.domain %></td><td><code><%= p.method %></code></td><td><span class="badge s-<%= p.state %>"><%= p.state %></span></td>
<td><code title="first 12 hex of the token's sha256"><%= p.tokenFingerprint %></code></td><td><%= p.requestedAt ?? '-' %></td><td><%= p.decidedAt ?? p.receivedAt ?? '-' %></td><td><%= p.languageId ?? '-' %></td></tr>
<% } %>
</tbody></table></div>
<% } %>`;

export const calls = `<% layout('@layout') %>
<h1>Parked calls</h1>
<p class="retention" id="retention"><%= it.retention %></p>
<form class="filters" method="get" action="<%= it.base %>/calls">
  ${portalSelect}
  ${stateSelect('state', "['waiting', 'ready', 'done', 'denied', 'failed']")}
  <button type="submit">Filter</button>
</form>
<% if (it.rows.length === 0) { %><p>No parked calls match.</p><% } else { %>
<div class="scroll"><table id="calls">
<thead><tr><th>#</th><th>State</th><th>Method</th><th>Portal</th><th>Age</th><th>Attempts</th><th>Continuation</th><th>Result or error</th><th></th></tr></thead>
<tbody>
<% for (const c of it.rows) { %>
<tr data-call="<%= c.id %>" data-state="<%= c.state %>"><td><%= c.id %></td><td><span class="badge s-<%= c.state %>"><%= c.state %></span></td><td><code><%= c.method %></code></td>
<td><%= c.domain %></td><td><%= c.age %></td><td><%= c.attempts %></td><td><%= c.continuation %> (<%= c.continuationStatus %>)</td><td class="wrap"><code><%= c.outcome %></code></td>
<td><% if (c.state === 'failed') { %><form method="post" action="<%= it.base %>/calls/<%= c.id %>/retry"><input type="hidden" name="csrf" value="<%= it.csrf %>"><button class="retry" type="submit">Retry</button></form><% } %></td></tr>
<% } %>
</tbody></table></div>
<% } %>`;

export const inboxFilters = { portalSelect, stateSelect };
