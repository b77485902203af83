/**
 * The body of a suite that runs unless `skip` gives a reason: `describe(name, unless(skip, () => { ... }))`.
 * node:test drops a skipped suite from the summary (its tests are never declared, so "# skipped 0" while a whole
 * file did not run); where `skip` gives a reason, the suite declares one skipped test that carries it instead, so a
 * missing chromium or PostgreSQL shows as skipped. The `describe` call stays in the test file: node:test names a
 * test's file by where it was declared, and test/run.mjs orders files by their durations under those names.
 */
import { it } from 'node:test';

export function unless(skip: string | false | undefined, fn: () => void): () => void {
  if (!skip) return fn;
  return () => {
    it('every test of this suite', { skip }, () => {});
  };
}
