/**
 * Type-level tests, checked by `tsc --noEmit` (part of `npm test`): handlers are typed by event name, and a wrong
 * name or field does not compile. Nothing here runs.
 */
import { createApp } from '../../src/index.js';

const app = createApp({ workers: false });

app.on('ONAPPMETHODCONFIRM', (event) => {
  const method: string = event.data.method;
  const confirmed: boolean = event.data.confirmed;
  const at: Date = event.ts;
  const memberId: string = event.auth.memberId;
  void [method, confirmed, at, memberId];
  // @ts-expect-error the raw TOKEN is not part of the view, only its hash
  void event.data.token;
  // @ts-expect-error CONFIRMED is normalised to a boolean
  void event.data.CONFIRMED;
});

app.on('ONAPPINSTALL', (event) => {
  const version: string | undefined = event.data.version;
  const installed: boolean = event.data.installed;
  void [version, installed];
  // @ts-expect-error ONAPPINSTALL has no method
  void event.data.method;
});

app.on('onAppUninstall', (event) => {
  const clean: boolean = event.data.clean;
  void clean;
});

app.on('ONCRMDEALADD', (event) => {
  const data: unknown = event.data;
  void data;
  // @ts-expect-error the data of an event outside the catalogue is unknown until the handler checks it
  void event.data.FIELDS;
});

// @ts-expect-error Bitrix24 event names start with ON
app.on('APPINSTALL', () => {});

// @ts-expect-error a handler of ONAPPUPDATE does not take ONAPPPAYMENT's fields
app.on('ONAPPUPDATE', (event: { data: { paymentExpired: boolean } }) => void event);
