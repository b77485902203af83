/** Property tests of the decoder and validator alone: any body ends in an event or a 4xx error, never a crash or a secret. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  B24EventsError,
  decodeForm,
  decodeJson,
  parseRawEvent,
  scrubPayload,
  type Payload,
} from '../../src/protocol/index.js';
import { FUZZ_SEED, fuzzRuns } from '../helpers/scale.js';
import { fuzzCase } from './cases.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes, validates and scrubs like the receiver; answers the refusal, or undefined when the event is accepted. */
function outcomeOf(decode: (text: string) => Payload, text: string): B24EventsError | undefined {
  try {
    scrubPayload(parseRawEvent(decode(text)));
    return undefined;
  } catch (error) {
    if (error instanceof B24EventsError && error.status >= 400 && error.status < 500) return error;
    throw error;
  }
}

function assertNoSecret(text: string, secrets: string[]): void {
  for (const s of secrets) {
    assert.ok(!text.includes(s) && !text.includes(s.slice(0, 8)), `a secret was quoted: ${text.slice(0, 300)}`);
  }
}

describe('fuzz: decoder and validator', () => {
  it('generated and mutated events: an event or a 4xx naming the problem, never a secret', () => {
    fc.assert(
      fc.property(fuzzCase, (c) => {
        let text: string;
        try {
          text = utf8.decode(c.body);
        } catch {
          return; // the receiver refuses invalid UTF-8 before decoding
        }
        for (const decode of [decodeForm, decodeJson]) {
          const refusal = outcomeOf(decode, text);
          if (refusal) assertNoSecret(JSON.stringify(refusal.toJSON()), c.secrets);
        }
      }),
      { numRuns: fuzzRuns(300), seed: FUZZ_SEED },
    );
  });

  it('arbitrary text and arbitrary JSON, nested up to 60 deep: never anything but a 4xx', () => {
    const texts = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc.string({
        unit: fc.constantFrom(
          'a',
          '=',
          '&',
          '[',
          ']',
          '%',
          '5B',
          '5D',
          '00',
          'ZZ',
          '_',
          '+',
          '.',
          'event',
          'auth',
          'ts',
        ),
        maxLength: 80,
      }),
      fc.jsonValue({ maxDepth: 60 }).map((v) => JSON.stringify(v)),
      fc.integer({ min: 1, max: 3000 }).map((depth) => `${'['.repeat(depth)}${']'.repeat(depth)}`),
    );
    fc.assert(
      fc.property(texts, (text) => {
        outcomeOf(decodeForm, text);
        outcomeOf(decodeJson, text);
      }),
      { numRuns: fuzzRuns(300), seed: FUZZ_SEED },
    );
  });
});
