/**
 * Generated request bodies for the fuzz tests: a real event (each of the catalogue's, and a business event) for an
 * installed portal or an unknown one, with secrets of its own, then mutated as a tree (fields removed, retyped,
 * nested deep, prototype keys, NUL, huge values, out-of-range numbers) and as text (broken percent escapes, also
 * inside a secret, duplicated keys, invalid UTF-8, truncation, wrong content types).
 */
import fc from 'fast-check';
import { httpBuildQuery, type Encodable } from '../../src/protocol/index.js';

export const INSTALLED = 'fuzzportal0000000000000000000001';
export const UNKNOWN = 'fuzzportal0000000000000000000002';
export const APP_TOKEN = 'SECapptoken0installed';

type Tree = { [key: string]: Encodable };
export interface FuzzCase {
  body: Buffer;
  contentType: string | undefined;
  /** Every secret the body carries: none may appear in an answer or a log line, whole or its first 8 characters. */
  secrets: string[];
  label: string;
}

const secret = fc.stringMatching(/^[a-z0-9]{12}$/).map((s) => `SEC${s}`);
const KINDS = [
  'ONAPPMETHODCONFIRM',
  'ONAPPINSTALL',
  'ONAPPUPDATE',
  'ONAPPUNINSTALL',
  'ONAPPPAYMENT',
  'ONAPPTEST',
  'ONCRMDEALADD',
] as const;

function baseEvent(kind: (typeof KINDS)[number], memberId: string, appToken: string, s: string[], ts: number): Tree {
  const portal = {
    domain: 'fuzz.bitrix24.com',
    client_endpoint: 'https://fuzz.bitrix24.com/rest/',
    server_endpoint: 'https://oauth.bitrix.info/rest/',
    member_id: memberId,
    application_token: appToken,
  };
  const user = {
    ...portal,
    access_token: s[0]!,
    refresh_token: s[1]!,
    expires: String(ts + 3600),
    expires_in: '3600',
    scope: 'crm,telephony',
    status: 'L',
    user_id: '1',
  };
  const data: Record<string, Tree> = {
    ONAPPMETHODCONFIRM: { TOKEN: s[2]!, METHOD: 'voximplant.user.get', CONFIRMED: String(ts % 2), LANGUAGE_ID: 'en' },
    ONAPPINSTALL: { VERSION: '1', ACTIVE: 'Y', INSTALLED: 'Y', LANGUAGE_ID: 'en' },
    ONAPPUPDATE: { VERSION: '2', PREVIOUS_VERSION: '1', LANGUAGE_ID: 'en' },
    ONAPPUNINSTALL: { CLEAN: '0', LANGUAGE_ID: 'en' },
    ONAPPPAYMENT: { CODE: 'vendor.app', VERSION: '2', STATUS: 'P', PAYMENT_EXPIRED: 'N', DAYS: '30' },
    ONAPPTEST: { QUERY: { text: 'hello', list: ['a', 'b'] }, LANGUAGE_ID: 'en' },
    ONCRMDEALADD: { FIELDS: { ID: String(ts % 1000), token: s[2]! } },
  };
  const withTokens = ['ONAPPINSTALL', 'ONAPPUPDATE', 'ONAPPTEST', 'ONAPPPAYMENT'].includes(kind);
  return { event: kind, event_handler_id: '7', data: data[kind]!, ts: String(ts), auth: withTokens ? user : portal };
}

/** Every path to a value or object in the tree, parents first. */
function pathsOf(tree: Tree, prefix: string[] = []): string[][] {
  return Object.entries(tree).flatMap(([key, value]) =>
    value !== null && typeof value === 'object' && !Array.isArray(value)
      ? [[...prefix, key], ...pathsOf(value as Tree, [...prefix, key])]
      : [[...prefix, key]],
  );
}

function parentOf(tree: Tree, path: string[]): Tree | undefined {
  let node: Encodable = tree;
  for (const key of path.slice(0, -1)) {
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return undefined;
    node = (node as Tree)[key];
  }
  return node !== null && typeof node === 'object' && !Array.isArray(node) ? (node as Tree) : undefined;
}

const deep = (depth: number): Encodable => (depth === 0 ? 'x' : { a: deep(depth - 1) });
const odd = fc.constantFrom(
  '',
  '-1',
  '1e99',
  '8640000000001',
  '99999999999999',
  '7958074852',
  'NaN',
  ' 1',
  '0x10',
  'ONAPPMETHODCONFIRM ',
  'onappinstall',
  'x'.repeat(300),
);
const treeMutation = fc.oneof(
  fc.record({ op: fc.constant('remove' as const), at: fc.nat() }),
  fc.record({
    op: fc.constant('retype' as const),
    at: fc.nat(),
    to: fc.constantFrom<Encodable>({}, { x: 'y' }, ['1', '2'], '', []),
  }),
  fc.record({ op: fc.constant('nest' as const), at: fc.nat(), depth: fc.integer({ min: 1, max: 40 }) }),
  fc.record({
    op: fc.constant('proto' as const),
    at: fc.nat(),
    key: fc.constantFrom('__proto__', 'constructor', 'prototype'),
  }),
  fc.record({ op: fc.constant('nul' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('huge' as const), at: fc.nat(), size: fc.constantFrom(1000, 20_000, 70_000) }),
  fc.record({
    op: fc.constant('odd' as const),
    field: fc.constantFrom(
      'ts',
      'event',
      'auth.expires',
      'auth.expires_in',
      'data.VERSION',
      'auth.member_id',
      'data.CONFIRMED',
    ),
    value: odd,
  }),
);
type TreeMutation = typeof treeMutation extends fc.Arbitrary<infer T> ? T : never;

function mutateTree(tree: Tree, m: TreeMutation): void {
  if (m.op === 'odd') {
    const path = m.field.split('.');
    const parent = parentOf(tree, path);
    if (parent) parent[path.at(-1)!] = m.value;
    return;
  }
  const paths = pathsOf(tree);
  const path = paths[m.at % paths.length]!;
  const parent = parentOf(tree, path);
  const key = path.at(-1)!;
  if (!parent) return;
  if (m.op === 'remove') delete parent[key];
  else if (m.op === 'retype') parent[key] = structuredClone(m.to);
  else if (m.op === 'nest') parent[key] = deep(m.depth);
  else if (m.op === 'proto')
    Object.defineProperty(parent, m.key, {
      value: { isAdmin: '1' },
      enumerable: true,
      configurable: true,
      writable: true,
    });
  else if (m.op === 'nul')
    parent[typeof parent[key] === 'string' ? key : `${key}\u0000`] = `${String(parent[key])}\u0000`;
  else parent[key] = 'h'.repeat(m.size);
}

const textMutation = fc.oneof(
  fc.record({
    op: fc.constant('percent' as const),
    at: fc.nat(),
    escape: fc.constantFrom('%ZZ', '%E0%A4%A', '%', '%F0%9F', '%C3%28', '%ED%A0%80', '%00'),
  }),
  fc.record({
    op: fc.constant('secret-percent' as const),
    which: fc.nat(),
    escape: fc.constantFrom('%ZZ', '%E0%A4', '%'),
  }),
  fc.record({
    op: fc.constant('duplicate' as const),
    key: fc.constantFrom('event', 'ts', 'auth[member_id]', 'auth[application_token]', 'data', 'auth'),
  }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
);
type TextMutation = typeof textMutation extends fc.Arbitrary<infer T> ? T : never;

function mutateText(text: string, m: TextMutation, secrets: string[], json: boolean): string {
  if (m.op === 'percent') {
    const at = m.at % (text.length + 1);
    return text.slice(0, at) + m.escape + text.slice(at);
  }
  if (m.op === 'secret-percent') {
    const s = secrets[m.which % secrets.length]!;
    return text.split(s).join(`${s.slice(0, 9)}${m.escape}${s.slice(9)}`);
  }
  if (m.op === 'duplicate')
    return json ? text.replace(/^\{/, `{"${m.key}":"dup",`) : `${text}&${encodeURIComponent(m.key)}=dup`;
  return text.slice(0, m.at % (text.length + 1));
}

const contentTypes = fc.constantFrom(
  undefined,
  '',
  'text/plain',
  'multipart/form-data; boundary=x',
  'application/json',
  'application/x-www-form-urlencoded; charset=UTF-8',
  'Application/JSON',
  'application/vnd.api+json',
  'application/x-www-form-urlencoded\u0001',
  'x'.repeat(500),
);

export const fuzzCase: fc.Arbitrary<FuzzCase> = fc
  .record({
    kind: fc.constantFrom(...KINDS),
    installed: fc.boolean(),
    secrets: fc.tuple(secret, secret, secret),
    appToken: fc.oneof({ arbitrary: fc.constant(APP_TOKEN), weight: 4 }, { arbitrary: secret, weight: 1 }),
    ts: fc.integer({ min: 1_400_000_000, max: 1_700_000_000 }),
    json: fc.boolean(),
    // Most cases change little, so that accepted events and every refusal after decoding are reached too.
    tree: fc.oneof(
      { arbitrary: fc.constant([]), weight: 2 },
      { arbitrary: fc.array(treeMutation, { minLength: 1, maxLength: 3 }), weight: 3 },
    ),
    text: fc.oneof(
      { arbitrary: fc.constant([]), weight: 4 },
      { arbitrary: fc.array(textMutation, { minLength: 1, maxLength: 2 }), weight: 1 },
    ),
    invalidUtf8: fc.oneof({ arbitrary: fc.constant(null), weight: 12 }, { arbitrary: fc.nat(), weight: 1 }),
    contentType: fc.oneof({ arbitrary: fc.constant(null), weight: 6 }, { arbitrary: contentTypes, weight: 1 }),
  })
  .map((c) => {
    const tree = baseEvent(c.kind, c.installed ? INSTALLED : UNKNOWN, c.appToken, c.secrets, c.ts);
    for (const m of c.tree) mutateTree(tree, m);
    const secrets = [...c.secrets, APP_TOKEN, c.appToken];
    let text = c.json ? JSON.stringify(tree) : httpBuildQuery(tree);
    for (const m of c.text) text = mutateText(text, m, secrets, c.json);
    let body = Buffer.from(text);
    if (c.invalidUtf8 !== null) {
      const at = c.invalidUtf8 % (body.length + 1);
      body = Buffer.concat([body.subarray(0, at), Buffer.from([0xff, 0xc3]), body.subarray(at)]);
    }
    const contentType =
      c.contentType === null ? (c.json ? 'application/json' : 'application/x-www-form-urlencoded') : c.contentType;
    const label = `${c.kind} ${c.installed ? 'installed' : 'unknown'} ${c.json ? 'json' : 'form'} ${[...c.tree, ...c.text].map((m) => m.op).join(',')}`;
    return { body, contentType, secrets, label };
  });
