/**
 * `batch` as the portal runs it: up to 50 commands (`cmd[key]=method?query`), each with the batch's token; more than
 * 50 run the first 50 and answer ERROR_BATCH_LENGTH_EXCEEDED for each of the others. Answers in `result`,
 * `result_error`, `result_total`, `result_next` and `result_time`, keyed like the commands.
 */
import { BATCH_LIMIT, decodeForm } from '../protocol/index.js';
import { fail, ok, phpArray, timing, type RestAnswer } from './answers.js';

/** Runs one command of the batch: its method and its parameters. */
export type RunCommand = (method: string, params: Record<string, unknown>) => RestAnswer;

interface Answered {
  result?: unknown;
  error?: string;
  error_description?: string;
  total?: unknown;
  next?: unknown;
}

/** A method's execution time fields for `result_time` (docs/protocol.md#77-limits). */
export type Usage = (method: string) => { operating: number; operating_reset_at: number };

export function runBatch(params: Record<string, unknown>, run: RunCommand, usage: Usage): RestAnswer {
  const startedMs = Date.now();
  const cmd = params.cmd;
  if (cmd === undefined || cmd === null || typeof cmd !== 'object')
    return fail(400, 'INVALID_ARG_VALUE', 'cmd must be a list of commands');
  const commands = Object.entries(cmd as Record<string, unknown>);
  const halt = ['1', 'true', 'Y'].includes(String(params.halt ?? '0'));
  const result: Record<string, unknown> = {};
  const errors: Record<string, unknown> = {};
  const totals: Record<string, unknown> = {};
  const nexts: Record<string, unknown> = {};
  const times: Record<string, unknown> = {};
  let halted = false;
  commands.forEach(([key, command], index) => {
    if (index >= BATCH_LIMIT) {
      errors[key] = { error: 'ERROR_BATCH_LENGTH_EXCEEDED', error_description: 'Max batch length exceeded' };
      return;
    }
    if (halted) return;
    const started = Date.now();
    const text = String(command);
    const at = text.indexOf('?');
    const method = (at === -1 ? text : text.slice(0, at)).toLowerCase();
    const answer =
      method === 'batch'
        ? fail(400, 'ERROR_BATCH_METHOD_NOT_ALLOWED', 'Method is not allowed for batch usage')
        : run(method, at === -1 ? {} : decodeForm(text.slice(at + 1)));
    const body = answer.body as Answered;
    if (answer.status === 200) {
      result[key] = body.result;
      if (body.total !== undefined) totals[key] = body.total;
      if (body.next !== undefined) nexts[key] = body.next;
    } else {
      errors[key] = { error: body.error, error_description: body.error_description };
      halted = halt;
    }
    times[key] = (body as { time?: unknown }).time ?? { ...timing(started), ...usage(method) };
  });
  const answer = {
    result: phpArray(result),
    result_error: phpArray(errors),
    result_total: phpArray(totals),
    result_next: phpArray(nexts),
    result_time: phpArray(times),
  };
  return ok(answer, {}, startedMs);
}
