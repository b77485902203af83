/**
 * The HTML the installer frame gets back (docs/protocol.md#74-apps-with-a-ui-install-in-the-administrators-browser): on success a page that loads the BX24 library and
 * calls `BX24.installFinish()`, with the app's own content if it gives some; on refusal a page that says why. No
 * token ever appears in either.
 */
import type { B24EventsError } from '../protocol/index.js';

/** Bitrix24's JavaScript library, which talks to the portal around the frame. */
export const BX24_SCRIPT_URL = 'https://api.bitrix24.com/api/v1/';

export interface InstallPageOptions {
  /** Where the page loads the BX24 library from. Default https://api.bitrix24.com/api/v1/ (B24_JS_URL). */
  scriptUrl?: string;
  /** The app's own HTML for the page's body, shown while and after the install finishes. */
  content?: (install: { memberId: string }) => string;
}

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const page = (title: string, body: string, head = '') =>
  `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title>${head}</head>
<body style="font-family: system-ui, sans-serif; margin: 2rem">
${body}
</body>
</html>
`;

export function installedPage(memberId: string, options: InstallPageOptions = {}): string {
  const script = options.scriptUrl ?? BX24_SCRIPT_URL;
  const content =
    options.content?.({ memberId }) ??
    '<h1>Installing…</h1><p id="b24-install-status">The application is being installed.</p>';
  const finish = `<script src="${escapeHtml(script)}"></script>
<script>
BX24.init(function () {
  BX24.installFinish();
  var status = document.getElementById('b24-install-status');
  if (status) status.textContent = 'The application is installed.';
});
</script>`;
  return page('Installing the application', `${content}\n${finish}`);
}

export function refusedPage(error: B24EventsError): string {
  return page(
    'The application could not be installed',
    `<h1>The application could not be installed</h1>
<p>${escapeHtml(error.message)}</p>
<p><code>${escapeHtml(error.code)}</code>. Ask the application's developer, or try installing again.</p>`,
  );
}
