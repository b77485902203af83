/**
 * What durability costs on the receiving path. Runs the same ONAPPMETHODCONFIRM bodies (each a distinct event)
 * through (a) decode + validate only, the baseline, and (b) the whole `handle()`: verification, one synced SQLite
 * transaction with the inbox row and the ledger update, the JSON answer. Prints events/s and the ratio b/a.
 *   npx tsx bench/receiver.ts [events]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, sqliteStore } from '../src/index.js';
import { decodeForm, parseRawEvent } from '../src/protocol/index.js';
import { APPLICATION_TOKEN, DOMAIN, MEMBER_ID, methodConfirmGranted } from '../test/fixtures/bodies.js';

const count = Number(process.argv[2] ?? 2000);
const bodies = Array.from({ length: count }, (_, i) =>
  Buffer.from(methodConfirmGranted.replace('ts=1478790852', `ts=${1478790852 + i}`)),
);
const headers = { 'content-type': 'application/x-www-form-urlencoded' };

function rate(label: string, ms: number): number {
  const perSecond = (count / ms) * 1000;
  process.stdout.write(
    `${label.padEnd(44)} ${perSecond.toFixed(0).padStart(8)} events/s  (${(ms / count).toFixed(3)} ms each)\n`,
  );
  return perSecond;
}

async function main() {
  let start = performance.now();
  for (const body of bodies) parseRawEvent(decodeForm(body.toString('utf8')));
  const baseline = rate('baseline: decode + validate', performance.now() - start);

  const dir = mkdtempSync(join(tmpdir(), 'b24-bench-'));
  const app = createApp({ store: sqliteStore(join(dir, 'bench.sqlite')), logger: { level: 'silent' }, workers: false });
  await app.installations.add({ memberId: MEMBER_ID, domain: DOMAIN, applicationToken: APPLICATION_TOKEN });
  start = performance.now();
  for (const body of bodies) {
    const answer = await app.handle({ method: 'POST', headers, body });
    if (answer.status !== 200) throw new Error(answer.body);
  }
  const whole = rate('handle(): verify + synced commit + answer', performance.now() - start);
  process.stdout.write(`ratio handle()/baseline: ${(whole / baseline).toFixed(3)}\n`);
  await app.close();
  rmSync(dir, { recursive: true, force: true });
}

await main();
