/**
 * A node:test reporter that prints nothing and writes, when the run ends, how long each test file's tests took (the
 * sum of its top-level tests, in seconds) to the JSON file named by B24_TEST_DURATIONS, merged with what an earlier
 * run wrote there. test/run.mjs starts the longest files first with it.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

export default async function* durations(source) {
  const path = process.env.B24_TEST_DURATIONS;
  const seconds = {};
  for await (const event of source) {
    if ((event.type !== 'test:pass' && event.type !== 'test:fail') || event.data.nesting !== 0) continue;
    const { file, details } = event.data;
    // A suite declared inside a helper would be named after the helper (test/helpers/skip.ts says why none is).
    if (file?.endsWith('.test.ts')) seconds[file] = (seconds[file] ?? 0) + (details?.duration_ms ?? 0) / 1000;
  }
  if (!path) return;
  const earlier = Object.fromEntries(
    Object.entries(existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : {}).filter(([file]) =>
      file.endsWith('.test.ts'),
    ),
  );
  writeFileSync(`${path}.tmp`, JSON.stringify({ ...earlier, ...seconds }, null, 1));
  renameSync(`${path}.tmp`, path);
  yield* [];
}
