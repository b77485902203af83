/**
 * Turns a request body into the nested object Bitrix24 meant, exactly as PHP would read it:
 * form bodies with bracket keys (`auth[member_id]`, `x[0]`), `+` for space, every value a string.
 * JSON bodies are brought to the same shape (numbers and booleans become strings, nulls are dropped).
 */
import qs from 'qs';
import { ForbiddenKeyError, MalformedBodyError, shownKey } from './errors.js';
import { checkDecodedBody, checkJsonNesting, MAX_NESTING, NestingTooDeepError } from './limits.js';

export type Payload = { [key: string]: PayloadValue };
export type PayloadValue = string | PayloadValue[] | Payload;

export type BodyKind = 'form' | 'json';

/** Keys that could reach an object's prototype: refused wherever they appear. */
export const PROTOTYPE_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);
const MAX_PARAMETERS = 2000;

/** Which decoder a Content-Type header asks for, or undefined when we do not accept it. */
export function bodyKindOf(contentType: string | undefined): BodyKind | undefined {
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase();
  if (mediaType === 'application/x-www-form-urlencoded') return 'form';
  if (mediaType === 'application/json' || mediaType?.endsWith('+json')) return 'json';
  return undefined;
}

export function decodeBody(kind: BodyKind, text: string): Payload {
  return kind === 'form' ? decodeForm(text) : decodeJson(text);
}

/** Percent-decodes one key or value; the error says where, never what (a value may be a secret). */
function strictDecode(part: string, where: () => string): string {
  try {
    return decodeURIComponent(part.replace(/\+/g, ' '));
  } catch {
    throw new MalformedBodyError(`The form body has an invalid percent-encoding (or invalid UTF-8) in ${where()}.`);
  }
}

function refusePrototypeKey(key: string): void {
  for (const segment of key.split(/[[\].]/)) {
    if (PROTOTYPE_KEYS.has(segment)) throw new ForbiddenKeyError(key);
  }
}

/**
 * PHP keeps numeric keys as keys (`cmd[50]` stays 50); json_encode writes a list only when the keys are 0..n-1.
 * qs would compact sparse indexes into a list, so every index is read as a key here and turned into a list after.
 */
function listsLikePhp(value: PayloadValue): PayloadValue {
  if (typeof value === 'string' || Array.isArray(value)) return value;
  const keys = Object.keys(value);
  for (const key of keys) value[key] = listsLikePhp(value[key]!);
  const sequential = keys.length > 0 && keys.every((key, i) => key === String(i));
  return sequential ? keys.map((key) => value[key]!) : value;
}

export function decodeForm(text: string): Payload {
  const pairs = text.split('&');
  if (pairs.length > MAX_PARAMETERS)
    throw new MalformedBodyError(`The form body has more than ${MAX_PARAMETERS} parameters.`);
  pairs.forEach((pair, i) => {
    if (pair === '') return;
    const eq = pair.indexOf('=');
    const key = strictDecode(eq === -1 ? pair : pair.slice(0, eq), () => `the name of parameter ${i + 1}`);
    refusePrototypeKey(key);
    if (eq !== -1) strictDecode(pair.slice(eq + 1), () => `the value of ${shownKey(key)}`);
  });
  let parsed: Payload;
  try {
    parsed = qs.parse(text, {
      // qs counts the brackets after the first name; the body itself is one more level.
      depth: MAX_NESTING - 1,
      strictDepth: true,
      parameterLimit: MAX_PARAMETERS,
      arrayLimit: -1,
      allowPrototypes: false,
      plainObjects: true,
      duplicates: 'last',
      charset: 'utf-8',
    }) as Payload;
  } catch (error) {
    if (/depth/i.test((error as Error).message)) throw new NestingTooDeepError('a form key has too many brackets');
    throw new MalformedBodyError(`The form body exceeds the decoder's limit of ${MAX_PARAMETERS} parameters.`);
  }
  checkDecodedBody(parsed);
  return listsLikePhp(parsed) as Payload;
}

export function decodeJson(text: string): Payload {
  checkJsonNesting(text);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    // V8's message quotes the text around the fault; only the position is kept.
    const position = /position (\d+)/.exec((error as Error).message)?.[1];
    throw new MalformedBodyError(`The JSON body does not parse${position ? ` (at character ${position})` : ''}.`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new MalformedBodyError('The JSON body must be an object.');
  }
  checkDecodedBody(parsed);
  return asFormValues(parsed) as Payload;
}

/** What PHP's form encoding would have made of a JSON value: strings everywhere, nulls gone. Depth is checked already. */
function asFormValues(value: unknown): PayloadValue | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (typeof value === 'number' || typeof value === 'string') return String(value);
  if (Array.isArray(value)) return value.map(asFormValues).filter((v) => v !== undefined);
  const out: Payload = Object.create(null) as Payload;
  for (const [key, inner] of Object.entries(value as object)) {
    if (PROTOTYPE_KEYS.has(key)) throw new ForbiddenKeyError(key);
    const converted = asFormValues(inner);
    if (converted !== undefined) out[key] = converted;
  }
  return out;
}
