/** `b24-events send`: a realistic event, form-encoded exactly as Bitrix24 sends it, to any URL (or printed). */
import { Command } from 'commander';
import { httpBuildQuery } from '../protocol/index.js';
import { applyOverride, SampleError, sampleEvent } from '../emulator/samples.js';
import { ReportedFailure, UsageError } from './common.js';

interface SendOptions {
  url?: string;
  memberId?: string;
  applicationToken?: string;
  domain?: string;
  set: string[];
  json: boolean;
  print: boolean;
}

export function sendCommand(): Command {
  return new Command('send')
    .description('build an event with sample values and POST it form-encoded like Bitrix24 (or --print the body)')
    .argument('<event>', 'event name, e.g. ONAPPMETHODCONFIRM or ONCRMDEALADD')
    .option('--url <url>', 'where to POST, e.g. http://127.0.0.1:3000/bitrix24/events')
    .option('--member-id <id>', 'auth.member_id (default: random)')
    .option('--application-token <token>', 'auth.application_token (default: random)')
    .option('--domain <host>', 'auth.domain', 'portal.bitrix24.com')
    .option(
      '--set <path=value>',
      'override a field, e.g. --set data.CONFIRMED=0 (repeatable)',
      (v: string, all: string[]) => [...all, v],
      [],
    )
    .option('--json', 'print {status, body} as JSON', false)
    .option('--print', 'print the encoded body instead of sending it', false)
    .action(async (name: string, options: SendOptions) => {
      const payload = usage(() => {
        const sample = sampleEvent(name, options);
        for (const assignment of options.set) applyOverride(sample, assignment);
        return sample;
      });
      const body = httpBuildQuery(payload);
      if (options.print) {
        process.stdout.write(`${body}\n`);
        return;
      }
      if (!options.url) throw new UsageError('--url is required to send (or use --print).');
      if (!URL.canParse(options.url) || !/^https?:$/.test(new URL(options.url).protocol))
        throw new UsageError(`--url "${options.url}" is not an http(s) URL.`);
      const response = await fetch(options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
        signal: AbortSignal.timeout(15_000),
      });
      const text = await response.text();
      if (options.json) {
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {
          // not JSON: keep the text
        }
        process.stdout.write(`${JSON.stringify({ status: response.status, body: parsed }, null, 2)}\n`);
      } else {
        process.stdout.write(`${response.status} ${response.statusText}\n${text}\n`);
      }
      if (!response.ok) throw new ReportedFailure(`the server answered ${response.status}`);
    });
}

/** A bad event name or `--set` is a usage error (exit 2), as the README's exit codes say. */
function usage<T>(build: () => T): T {
  try {
    return build();
  } catch (error) {
    throw error instanceof SampleError ? new UsageError(error.message) : error;
  }
}
