/** The inbox, newest first with filters and paging, and one event's page. */
import { inboxFilters } from './tables.js';

export const inbox = `<% layout('@layout') %>
<h1>Inbox</h1>
<p class="retention" id="retention"><%= it.retention %></p>
<form class="filters" method="get" action="<%= it.base %>/inbox">
  <label>Event <input name="event" value="<%= it.filter.event ?? '' %>" placeholder="ONAPPMETHODCONFIRM"></label>
  ${inboxFilters.portalSelect}
  ${inboxFilters.stateSelect('status', "['pending', 'processing', 'done', 'failed']")}
  <button type="submit">Filter</button>
</form>
<form method="post" action="<%= it.base %>/inbox/replay-failed" class="filters">
  <input type="hidden" name="csrf" value="<%= it.csrf %>">
  <input type="hidden" name="event" value="<%= it.filter.event ?? '' %>">
  <input type="hidden" name="memberId" value="<%= it.filter.memberId ?? '' %>">
  <button id="replay-failed" class="secondary" type="submit">Replay every failed event matching the event and portal</button>
</form>
<% if (it.rows.length === 0) { %><p>No events match.</p><% } else { %>
<div class="scroll"><table id="inbox">
<thead><tr><th>#</th><th>Event</th><th>Portal</th><th>Received</th><th>Status</th><th>Attempts</th><th>Last error</th></tr></thead>
<tbody>
<% for (const e of it.rows) { %>
<tr data-id="<%= e.id %>" data-status="<%= e.status %>"><td><a href="<%= it.base %>/inbox/<%= e.id %>"><%= e.id %></a></td><td><%= e.event %></td><td><%= e.domain %></td><td><%= e.receivedAt %></td>
<td><span class="badge s-<%= e.status %>"><%= e.status %></span></td><td><%= e.attempts %></td><td class="wrap"><%= e.lastError ?? '' %></td></tr>
<% } %>
</tbody></table></div>
<% if (it.next) { %><p><a id="next-page" href="<%= it.next %>">Older events →</a></p><% } %>
<% } %>`;

export const inboxEvent = `<% layout('@layout') %>
<h1><%= it.entry.event %> #<%= it.entry.id %></h1>
<dl>
  <dt>Portal</dt><dd><%= it.domain %> (<code><%= it.entry.memberId %></code>)</dd>
  <dt>Status</dt><dd><span class="badge s-<%= it.entry.status %>" id="status"><%= it.entry.status %></span></dd>
  <dt>Attempts</dt><dd><%= it.entry.attempts %></dd>
  <dt>Sent (ts)</dt><dd><%= it.entry.ts %></dd>
  <dt>Received</dt><dd><%= it.entry.receivedAt %></dd>
  <dt>Finished</dt><dd><%= it.entry.finishedAt ?? '-' %></dd>
  <dt>Last error</dt><dd id="last-error"><%= it.entry.lastError ?? '-' %></dd>
</dl>
<% if (it.entry.status === 'failed' || it.entry.status === 'done') { %>
<form method="post" action="<%= it.base %>/inbox/<%= it.entry.id %>/replay"><input type="hidden" name="csrf" value="<%= it.csrf %>"><button id="replay" type="submit">Replay this event</button></form>
<% } %>
<h2>Payload (secrets masked)</h2>
<pre id="payload"><%= it.payload %></pre>`;
