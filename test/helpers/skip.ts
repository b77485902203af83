/**
 * `describe(name, { skip }, fn)` that still counts: node:test drops a skipped suite from the summary (its tests are
 * never declared, so "# skipped 0" while a whole file did not run). Where `skip` gives a reason, this declares the
 * suite with one skipped test that carries the reason, so a missing chromium or PostgreSQL shows as skipped.
 */
import { describe, it } from 'node:test';

export function describeUnless(name: string, skip: string | false | undefined, fn: () => void): void {
  if (!skip) {
    describe(name, fn);
    return;
  }
  describe(name, () => {
    it(`${name} (every test of this suite)`, { skip }, () => {});
  });
}
