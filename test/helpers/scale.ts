/**
 * How much the slow, random tests do. `npm test` runs a quick, seeded pass; `npm run test:full` sets TEST_FULL=1
 * (and FUZZ_RUNS, the fuzz cases per property) for the long one. FUZZ_SEED replays a failing run.
 */
export const FULL = process.env.TEST_FULL === '1';

/** Cases for one fuzz property: `quick` in `npm test`, FUZZ_RUNS (or 20 times `quick`) in the full run. */
export function fuzzRuns(quick: number): number {
  const asked = Number(process.env.FUZZ_RUNS);
  if (Number.isInteger(asked) && asked > 0) return asked;
  return FULL ? quick * 20 : quick;
}

/** Seeded unless FUZZ_SEED says otherwise, so a quick run is the same run every time. */
export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 20261128);
