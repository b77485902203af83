/**
 * A node:test reporter that prints nothing and writes, when the run ends, how long each test file's tests took (the
 * sum of its top-level tests, in seconds) to the JSON file named by B24_TEST_DURATIONS, merged with what an earlier
 * run wrote there. test/run.mjs starts the longest files first with it.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export default async function* durations(source) {
  const path = process.env.B24_TEST_DURATIONS;
  const seconds = {};
  for await (const event of source) {
    if ((event.type !== 'test:pass' && event.type !== 'test:fail') || event.data.nesting !== 0) continue;
    const { file, name, details } = event.data;
    // test/run.mjs runs each file in a suite named by its path from the root; a file run on its own names its
    // suites' file itself (a suite declared inside a helper would be named after the helper: test/helpers/skip.ts).
    const test = /[/\\]group-\d+\.mjs$/.test(file ?? '') ? `${ROOT}${name}` : file;
    if (test?.endsWith('.test.ts')) seconds[test] = (seconds[test] ?? 0) + (details?.duration_ms ?? 0) / 1000;
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
