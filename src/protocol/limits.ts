/**
 * Limits on the shape of a decoded body, checked before anything walks it recursively: nesting depth (a body nested
 * thousands deep would overflow the stack in any recursive walk, anonymous bodies included), NUL characters (which
 * PostgreSQL cannot store in text) and lone UTF-16 surrogates (which no database stores faithfully). Errors name the
 * key at fault and never quote a value: the value may be a secret.
 */
import { MalformedBodyError, PayloadTooLargeError, shownKey } from './errors.js';

/**
 * The body-size rule, in one place for every reader (the adapters while they read, the receiver for a body handed
 * to it whole): more than `limit` bytes is 413.
 */
export function checkBodySize(bytes: number, limit: number): void {
  if (bytes > limit) throw new PayloadTooLargeError(limit);
}

/** Commands one `batch` request may carry (docs/protocol.md section 6.3). */
export const BATCH_LIMIT = 50;

/** Containers inside one another, the body itself counted: `{"data":{"FIELDS":{}}}` nests 3 deep. */
export const MAX_NESTING = 16;

export class NestingTooDeepError extends MalformedBodyError {
  constructor(where: string) {
    super(`The body nests deeper than ${MAX_NESTING} levels (${where}).`);
  }
}

/**
 * Refuses JSON text nested deeper than MAX_NESTING without parsing it: one pass over the characters, brackets inside
 * strings ignored. JSON.parse and the walks after it then never meet a deep value.
 */
export function checkJsonNesting(text: string): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > MAX_NESTING) throw new NestingTooDeepError(`at character ${i}`);
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
}

const LONE_SURROGATE = /\p{Surrogate}/u;

function checkText(text: string, where: () => string, what: string): void {
  if (text.includes('\u0000'))
    throw new MalformedBodyError(`The ${what} ${where()} contains a NUL character, which is refused.`);
  if (LONE_SURROGATE.test(text))
    throw new MalformedBodyError(`The ${what} ${where()} is not valid Unicode (a lone surrogate).`);
}

/**
 * Walks a decoded body without recursion and refuses it when it nests too deep or holds a NUL or a lone surrogate
 * in any key or string. Paths are written with dots (`auth.member_id`).
 */
export function checkDecodedBody(body: object): void {
  const stack: { value: object; path: string; depth: number }[] = [{ value: body, path: '', depth: 1 }];
  while (stack.length > 0) {
    const { value, path, depth } = stack.pop()!;
    for (const [key, inner] of Object.entries(value)) {
      const at = path === '' ? key : `${path}.${key}`;
      checkText(key, () => shownKey(at), 'key');
      if (typeof inner === 'string') checkText(inner, () => `of ${shownKey(at)}`, 'value');
      else if (inner !== null && typeof inner === 'object') {
        if (depth + 1 > MAX_NESTING) throw new NestingTooDeepError(`at ${shownKey(at)}`);
        stack.push({ value: inner as object, path: at, depth: depth + 1 });
      }
    }
  }
}
