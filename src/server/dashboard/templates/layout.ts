/**
 * The dashboard's frame, styles and the pages outside it (sign-in, the "dashboard is off" notice, errors). Eta escapes
 * every `<%= %>`; `<%~ %>` (raw) appears only where a page is put into the frame.
 */
export const layout = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title><%= it.title %> · b24-events</title>
<style>
:root { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2937; background: #f8fafc; }
body { margin: 0; }
header { background: #1e3a8a; color: #fff; padding: .5rem 1rem; display: flex; flex-wrap: wrap; gap: .25rem 1rem; align-items: center; }
header a { color: #dbeafe; text-decoration: none; padding: .25rem 0; }
header a[aria-current=page] { color: #fff; font-weight: 600; border-bottom: 2px solid #fff; }
header .brand { font-weight: 700; color: #fff; margin-right: .5rem; }
header form { margin-left: auto; }
main { padding: 1rem; max-width: 1200px; margin: 0 auto; }
h1 { font-size: 1.4rem; margin: .25rem 0 1rem; }
h2 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; }
.scroll { overflow-x: auto; background: #fff; border: 1px solid #e5e7eb; border-radius: 6px; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid #e5e7eb; vertical-align: top; }
th { background: #f1f5f9; white-space: nowrap; }
td.wrap { max-width: 28rem; overflow-wrap: anywhere; }
code, pre { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: .85rem; }
pre { background: #0f172a; color: #e2e8f0; padding: .75rem; border-radius: 6px; overflow-x: auto; }
form.filters { display: flex; flex-wrap: wrap; gap: .5rem; align-items: end; margin-bottom: .75rem; }
label { display: flex; flex-direction: column; font-size: .8rem; gap: .15rem; }
input, select, button { font: inherit; padding: .35rem .5rem; border: 1px solid #cbd5e1; border-radius: 4px; background: #fff; }
button { cursor: pointer; background: #1d4ed8; color: #fff; border-color: #1d4ed8; }
button.secondary { background: #fff; color: #1d4ed8; }
.badge { display: inline-block; padding: 0 .4rem; border-radius: 999px; font-size: .8rem; background: #e5e7eb; }
.s-failed, .s-denied, .s-uninstalled, .s-needs_reinstall { background: #fee2e2; color: #991b1b; }
.s-done, .s-granted, .s-active { background: #dcfce7; color: #166534; }
.s-waiting, .s-pending, .s-ready, .s-installing, .s-processing { background: #fef3c7; color: #92400e; }
.s-expired { background: #e5e7eb; color: #374151; }
.notice { background: #dbeafe; border: 1px solid #93c5fd; padding: .5rem .75rem; border-radius: 6px; margin-bottom: 1rem; }
.error { background: #fee2e2; border: 1px solid #fca5a5; padding: .5rem .75rem; border-radius: 6px; margin-bottom: 1rem; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(10rem, 1fr)); gap: .75rem; }
.card { background: #fff; border: 1px solid #e5e7eb; border-radius: 6px; padding: .75rem; }
.card b { display: block; font-size: 1.5rem; }
svg { max-width: 100%; height: auto; background: #fff; border: 1px solid #e5e7eb; border-radius: 6px; }
.legend { display: flex; flex-wrap: wrap; gap: .25rem 1rem; font-size: .85rem; margin: .25rem 0; }
.legend i { display: inline-block; width: .8rem; height: .8rem; margin-right: .3rem; vertical-align: -1px; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; }
dt { font-weight: 600; }
dd { margin: 0; overflow-wrap: anywhere; }
@media (max-width: 600px) { main { padding: .5rem; } th, td { padding: .3rem; } header form { margin-left: 0; } }
</style>
</head>
<body>
<% if (it.nav) { %>
<header>
  <span class="brand">b24-events</span>
  <% for (const [href, name] of [['/', 'Overview'], ['/portals', 'Portals'], ['/permissions', 'Permissions'], ['/calls', 'Parked calls'], ['/inbox', 'Inbox']]) { %>
  <a href="<%= it.base + href %>"<% if (it.current === href) { %> aria-current="page"<% } %>><%= name %></a>
  <% } %>
  <form method="post" action="<%= it.base %>/signout"><input type="hidden" name="csrf" value="<%= it.csrf %>"><button class="secondary" type="submit">Sign out</button></form>
</header>
<% } %>
<main>
<% if (it.notice) { %><p class="notice" role="status"><%= it.notice %></p><% } %>
<%~ it.body %>
</main>
</body>
</html>`;

export const signIn = `<% layout('@layout') %>
<h1>Sign in to the b24-events dashboard</h1>
<% if (it.message) { %><p class="error" role="alert"><%= it.message %></p><% } %>
<form method="post" action="<%= it.base %>/signin" class="filters">
  <label>Dashboard token <input type="password" name="token" autocomplete="current-password" required autofocus></label>
  <button type="submit">Sign in</button>
</form>
<p>The token is the value of <code>DASHBOARD_TOKEN</code> the server was started with.</p>`;

export const off = `<% layout('@layout') %>
<h1>b24-events is running</h1>
<p>The dashboard is off because no <code>DASHBOARD_TOKEN</code> is set. To turn it on, start the server with a long
random token, for example:</p>
<pre>DASHBOARD_TOKEN=$(openssl rand -hex 32) npx b24-events serve</pre>
<p>then open this page again and sign in with that token. Events are received at <code>/bitrix24/events</code>;
<code>/healthz</code>, <code>/readyz</code> and <code>/metrics</code> answer without it.</p>`;

export const problem = `<% layout('@layout') %>
<h1><%= it.heading %></h1>
<p class="error" role="alert"><%= it.message %></p>
<% if (it.nav) { %><p><a href="<%= it.base %>/">Back to the overview</a></p><% } %>`;
