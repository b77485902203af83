/**
 * A node:test reporter that prints nothing and writes, when the run ends, how long each test file's tests took (in
 * seconds, by its path from the root) to the JSON file named by B24_TEST_DURATIONS, merged with what an earlier run
 * wrote there (files since removed or renamed are dropped). test/run.mjs gives its lanes the files by these
 * durations, the longest first.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

const ROOT = new URL('../../', import.meta.url);

export default async function* durations(source) {
  const path = process.env.B24_TEST_DURATIONS;
  const seconds = {};
  for await (const event of source) {
    if ((event.type !== 'test:pass' && event.type !== 'test:fail') || event.data.nesting !== 0) continue;
    // test/run.mjs runs each file inside a suite named by the file's path from the root.
    const { file, name, details } = event.data;
    if (/[/\\]lane-\d+\.mjs$/.test(file ?? '') && name.endsWith('.test.ts'))
      seconds[name] = (seconds[name] ?? 0) + (details?.duration_ms ?? 0) / 1000;
  }
  if (!path) return;
  const earlier = Object.fromEntries(
    Object.entries(existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : {}).filter(
      ([file]) => file.endsWith('.test.ts') && !file.startsWith('/') && existsSync(new URL(file, ROOT)),
    ),
  );
  writeFileSync(`${path}.tmp`, JSON.stringify({ ...earlier, ...seconds }, null, 1));
  renameSync(`${path}.tmp`, path);
  yield* [];
}
