/**
 * `batch` from the client's side (docs/protocol.md#63-batch): commands as `cmd[key]=method?query`, 50 to a request,
 * and the answers of several requests merged into one, keyed like the commands.
 */
import { BATCH_LIMIT, httpBuildQuery } from '../protocol/index.js';
import type { PortalAccess } from './client.js';
import type { Params } from './transport.js';

export type BatchCommand = [method: string, params?: Params];

export interface BatchAnswer {
  result: Record<string, unknown>;
  resultError: Record<string, { error: string; error_description: string }>;
  resultTotal: Record<string, number>;
  resultNext: Record<string, number>;
  access: PortalAccess;
}

/** Key, method and parameters of each command; the keys are the indexes of a list. */
export const entriesOf = (commands: BatchCommand[] | Record<string, BatchCommand>) =>
  Array.isArray(commands) ? commands.map((c, i) => [String(i), c] as const) : Object.entries(commands);

/** The `cmd` parameter of each request: at most 50 commands each. */
export function commandsPerRequest(entries: (readonly [string, BatchCommand])[]): Record<string, string>[] {
  const requests: Record<string, string>[] = [];
  for (let i = 0; i < entries.length; i += BATCH_LIMIT) {
    const cmd: Record<string, string> = {};
    for (const [key, [method, params]] of entries.slice(i, i + BATCH_LIMIT)) {
      const query = params ? httpBuildQuery(params) : '';
      cmd[key] = query ? `${method}?${query}` : method;
    }
    requests.push(cmd);
  }
  return requests;
}

/** PHP's json_encode writes a list where the keys are 0..n-1 (an empty map, or the first 50 of a list of commands). */
const asMap = <T>(value: unknown): Record<string, T> =>
  Array.isArray(value)
    ? Object.fromEntries(value.map((v, k) => [String(k), v as T]))
    : ((value ?? {}) as Record<string, T>);

/** Adds one request's answer to `merged`; answers its commands' errors and `result_time`, by key. */
export function mergeAnswer(merged: BatchAnswer, result: unknown) {
  const part = (result ?? {}) as Record<string, unknown>;
  const errors = asMap<BatchAnswer['resultError'][string]>(part.result_error);
  Object.assign(merged.result, asMap(part.result));
  Object.assign(merged.resultError, errors);
  Object.assign(merged.resultTotal, asMap<number>(part.result_total));
  Object.assign(merged.resultNext, asMap<number>(part.result_next));
  return { errors, times: asMap<unknown>(part.result_time) };
}
