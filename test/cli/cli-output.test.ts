/** The CLI's output when it is cut short, when a value is huge, and when --db names a database it cannot open. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { before, describe, it } from 'node:test';
import { tempDir } from '../helpers/app.js';
import { cliArgs, runCli } from '../helpers/cli.js';

const db = join(tempDir(), 'output.sqlite');
const env = { DATABASE_URL: db };
const LONG_METHOD = `crm.${'x'.repeat(60_000)}`;

before(async () => {
  assert.equal((await runCli(['inbox'], env)).code, 0); // creates the schema
  const file = new SQLite(db);
  const at = new Date().toISOString();
  const insert = file.prepare(
    `insert into inbox (body_hash, member_id, event, ts, received_at, payload, application_token_hash, status, attempts, next_attempt_at) values (?, 'm', ?, ?, ?, '{}', 'h', 'done', 1, ?)`,
  );
  for (let i = 0; i < 400; i++) insert.run(`k${i}`, `ONCRMDEALADD${'X'.repeat(500)}`, at, at, at);
  file
    .prepare(
      `insert into permissions (member_id, token_hash, method, state) values ('m', 'abcdef0123456789', ?, 'granted')`,
    )
    .run(LONG_METHOD);
  file.close();
});

describe('CLI output', () => {
  it('b24-events inbox | head -1 exits quietly instead of printing an EPIPE stack trace', async () => {
    const node = [process.execPath, ...(await cliArgs())].map((arg) => JSON.stringify(arg)).join(' ');
    const shell = `${node} inbox --json --limit 400 | head -c 20 >/dev/null; exit \${PIPESTATUS[0]}`;
    const child = spawn('bash', ['-c', shell], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += String(chunk)));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(stderr, '');
    assert.equal(code, 0);
  });

  it('a 60,000-character METHOD prints as one cell of 80 characters ending in …', async () => {
    const result = await runCli(['permissions'], env);
    assert.equal(result.code, 0, result.stderr);
    assert.ok(result.stdout.length < 1000, `printed ${result.stdout.length} characters`);
    assert.match(result.stdout, /crm\.x{75}…/);
    const json = await runCli(['permissions', '--json'], env);
    assert.ok(json.stdout.includes(LONG_METHOD), '--json prints the value whole');
  });

  it('--db mysql://x is refused with a clear message instead of creating a SQLite file named "mysql:/x"', async () => {
    const result = await runCli(['inbox', '--db', 'mysql://x']);
    assert.equal(result.code, 2);
    assert.match(
      result.stderr,
      /scheme "mysql:" is not supported: give a SQLite file path \(or sqlite:PATH, file:PATH\) or a postgres:\/\/ URL/,
    );
    assert.ok(!existsSync('mysql:'), 'a file named after the URL was created');
  });
});
