/**
 * The demo's own handlers, loaded by the server with `b24-events serve --app demo/app.ts`: the continuation of the
 * calls the demo parks. It prints one line per finished call; the demo waits for that line in the server's output.
 */
import type { B24App } from '../src/index.js'; // in your app: from 'b24-events'

export default function register(app: B24App): void {
  app.resume('sync-phone-users', (outcome) => {
    if (outcome.status === 'ok') {
      const users = Array.isArray(outcome.result) ? outcome.result.length : 1;
      console.log(`continuation ran for call #${outcome.callId}: ${users} user(s)`);
    } else {
      console.log(`continuation ran for call #${outcome.callId}: ${outcome.status}`);
    }
  });
}
