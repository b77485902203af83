/**
 * A stand-in for the BX24 JS library (https://api.bitrix24.com/api/v1/), served at `GET /api/v1/`. Like the real one
 * it finds its parent from window.name (`host|protocol|APP_SID`, or the DOMAIN/PROTOCOL/APP_SID query) and talks to
 * it by postMessage in the format the official SDK uses (`command:params:callback:APP_SID` up,
 * `callback:JSON` down). It implements what an install page needs: init, installFinish, getAuth, refreshAuth,
 * isAdmin, getLang, getDomain, callMethod, placement.info, and no-op window helpers.
 */
export const BX24_SCRIPT = `/* Bitrix24 emulator: a stand-in for the BX24 JS library */
(function () {
  if (window.BX24) return;
  var named = (window.name || '').split('|');
  var query = new URLSearchParams(window.location.search);
  var domain = named.length === 3 ? named[0] : query.get('DOMAIN');
  var protocol = named.length === 3 ? named[1] : query.get('PROTOCOL');
  var appSid = named.length === 3 ? named[2] : query.get('APP_SID');
  var origin = (String(protocol) === '1' ? 'https://' : 'http://') + domain;
  var callbacks = {};
  var sequence = 0;
  var data = null;
  var waiting = [];

  function send(command, params, callback) {
    var key = 'bx24-' + (++sequence) + '-' + Math.random().toString(16).slice(2);
    if (callback) callbacks[key] = callback;
    var list = [params ? JSON.stringify(params) : '', key, appSid].filter(Boolean);
    window.parent.postMessage(command + ':' + list.join(':'), origin);
  }

  window.addEventListener('message', function (event) {
    if (event.origin !== origin || typeof event.data !== 'string') return;
    var at = event.data.indexOf(':');
    var key = at === -1 ? event.data : event.data.slice(0, at);
    var callback = callbacks[key];
    if (!callback) return;
    delete callbacks[key];
    var args;
    try { args = at === -1 ? undefined : JSON.parse(event.data.slice(at + 1)); } catch (e) { args = event.data.slice(at + 1); }
    callback(args);
  });

  function auth() {
    if (!data) return false;
    return { access_token: data.AUTH_ID, refresh_token: data.REFRESH_ID, expires_in: Number(data.AUTH_EXPIRES), domain: domain, member_id: data.MEMBER_ID };
  }

  var BX24 = {
    init: function (callback) {
      if (data) { if (callback) callback(); return; }
      if (callback) waiting.push(callback);
      if (waiting.length > 1) return;
      send('getInitData', null, function (answer) {
        data = answer || {};
        var run = waiting; waiting = [];
        run.forEach(function (f) { f(); });
      });
    },
    ready: function (callback) { BX24.init(callback); },
    isReady: function () { return data !== null; },
    installFinish: function () { send('setInstallFinish', null, function () {}); },
    getAuth: auth,
    refreshAuth: function (callback) {
      send('refreshAuth', null, function (answer) {
        if (answer && data) { data.AUTH_ID = answer.AUTH_ID; data.REFRESH_ID = answer.REFRESH_ID; data.AUTH_EXPIRES = answer.AUTH_EXPIRES; }
        if (callback) callback(auth());
      });
    },
    isAdmin: function () { return !!(data && data.IS_ADMIN); },
    getLang: function () { return (data && data.LANG) || 'en'; },
    getDomain: function () { return domain; },
    placement: { info: function () { return { placement: (data && data.PLACEMENT) || 'DEFAULT', options: (data && data.PLACEMENT_OPTIONS) || {} }; } },
    callMethod: function (method, params, callback) {
      var body = Object.assign({}, params || {}, { auth: data && data.AUTH_ID });
      fetch(origin + '/rest/' + method + '.json', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
        .then(function (r) { return r.json(); })
        .then(function (answer) {
          if (callback) callback({ data: function () { return answer.result; }, error: function () { return answer.error || null; }, error_description: function () { return answer.error_description || ''; }, answer: answer });
        });
    },
    resizeWindow: function () {}, fitWindow: function () {}, setTitle: function () {}, reloadWindow: function () { window.location.reload(); }, closeApplication: function () {}
  };
  window.BX24 = BX24;
})();
`;
