/**
 * The event catalogue: one zod schema per Bitrix24 application event, as sent (`raw`), and the normalised view
 * handlers receive (`event`): booleans for Y/N and 1/0, `ts` as a Date, the method in lower case, and no secrets
 * (tokens are not part of the view; ONAPPMETHODCONFIRM's TOKEN is only there as its sha256).
 */
import * as z from 'zod';
import { tokenHash, TOKEN_HASH_PREFIX } from './secrets.js';

const expected = (what: string) => ({
  error: (issue: { input?: unknown }) => (issue.input === undefined ? 'required' : `expected ${what}`),
});
const text = z.string(expected('a string')).min(1, 'required');
/** An app version as portals send it: "3" or, in the docs' samples, "1.0.0" (docs/protocol.md#38-version-and-days-values). */
const version = z
  .string(expected('a string'))
  .min(1, 'required')
  .max(32, 'expected a version of at most 32 characters');
/** ONAPPPAYMENT's DAYS: a whole number, possibly negative, or empty (docs/protocol.md#38-version-and-days-values). */
const days = z.string(expected('a whole number')).regex(/^-?\d*$/, 'expected a whole number');
/** Unix seconds a Date can hold and print (up to 9999-12-31): a larger `ts` or `expires` is refused, not a crash. */
const MAX_UNIX_SECONDS = 253_402_300_799;
const digitsFirst = z.string(expected('digits')).regex(/^\d+$/, { message: 'expected digits', abort: true });
const unixSeconds = digitsFirst.refine(
  (v) => Number(v) <= MAX_UNIX_SECONDS,
  'expected unix seconds before the year 10000',
);
/** A token lifetime: Bitrix24 says 3600; anything past ten years is not one. */
const lifetimeSeconds = digitsFirst.refine((v) => Number(v) <= 315_360_000, 'expected at most 315360000 seconds');
const yesNo = z.enum(['Y', 'N'], expected('"Y" or "N"'));
const zeroOne = z.enum(['0', '1'], expected('"0" or "1"'));
const endpoint = z.url({ protocol: /^https?$/, ...expected('an http(s) URL') });

/** An old documentation sample spells `server_andpoint`; read it as `server_endpoint`. */
function aliasServerEndpoint(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  const auth = value as Record<string, unknown>;
  if (auth.server_endpoint === undefined && auth.server_andpoint !== undefined) {
    return { ...auth, server_endpoint: auth.server_andpoint };
  }
  return value;
}

const portalAuthShape = {
  domain: text,
  client_endpoint: endpoint,
  server_endpoint: endpoint,
  member_id: text,
  application_token: text,
};
const portalAuth = z.preprocess(aliasServerEndpoint, z.looseObject(portalAuthShape, expected('an object')));
const userAuth = z.preprocess(
  aliasServerEndpoint,
  z.looseObject(
    {
      ...portalAuthShape,
      access_token: text,
      refresh_token: text.optional(),
      expires: unixSeconds.optional(),
      expires_in: lifetimeSeconds.optional(),
      scope: z.string().optional(),
      status: z.string().optional(),
      user_id: z.string().optional(),
    },
    expected('an object'),
  ),
);

function envelope<N extends z.ZodType, D extends z.ZodType, A extends z.ZodType>(event: N, data: D, auth: A) {
  return z.looseObject({ event, event_handler_id: z.string().optional(), data, ts: unixSeconds, auth });
}

type Envelope = { event: string; event_handler_id?: string | undefined; ts: string; auth: Record<string, unknown> };

function normaliseEnvelope(raw: Envelope) {
  const auth = raw.auth as z.output<typeof userAuth>;
  return {
    event: raw.event,
    handlerId: raw.event_handler_id,
    ts: new Date(Number(raw.ts) * 1000),
    auth: {
      memberId: auth.member_id,
      domain: auth.domain,
      clientEndpoint: auth.client_endpoint,
      serverEndpoint: auth.server_endpoint,
      userId: auth.user_id,
      scope: auth.scope ? auth.scope.split(',') : undefined,
    },
  };
}

const data = <S extends z.core.$ZodLooseShape>(shape: S) => z.looseObject(shape, expected('an object'));
const languageId = z.string().optional();

/** Stored ONAPPMETHODCONFIRM payloads carry `sha256:<hex>` in place of TOKEN; see `scrubSecrets`. */
export { TOKEN_HASH_PREFIX };

const rawMethodConfirm = envelope(
  z.literal('ONAPPMETHODCONFIRM'),
  data({ TOKEN: text, METHOD: text, CONFIRMED: zeroOne, LANGUAGE_ID: text }),
  portalAuth,
);
const rawInstall = envelope(
  z.literal('ONAPPINSTALL'),
  // No VERSION when the install came through the installer frame of an app with a UI (docs/protocol.md#74-apps-with-a-ui-install-in-the-administrators-browser).
  data({ VERSION: version.optional(), ACTIVE: yesNo.optional(), INSTALLED: yesNo.optional(), LANGUAGE_ID: languageId }),
  userAuth,
);
const rawUpdate = envelope(
  z.literal('ONAPPUPDATE'),
  data({ VERSION: version, PREVIOUS_VERSION: version.optional(), LANGUAGE_ID: languageId }),
  userAuth,
);
const rawUninstall = envelope(
  z.literal('ONAPPUNINSTALL'),
  data({ CLEAN: zeroOne.optional(), LANGUAGE_ID: languageId }).optional(),
  portalAuth,
);
const rawPayment = envelope(
  z.literal('ONAPPPAYMENT'),
  data({
    CODE: z.string().optional(),
    VERSION: version.optional(),
    STATUS: z.string().optional(),
    PAYMENT_EXPIRED: yesNo.optional(),
    DAYS: days.optional(),
    LANGUAGE_ID: languageId,
  }),
  z.preprocess(aliasServerEndpoint, z.looseObject({ ...portalAuthShape, access_token: text.optional() })),
);
const rawTest = envelope(
  z.literal('ONAPPTEST'),
  data({ QUERY: z.unknown().optional(), LANGUAGE_ID: languageId }).optional(),
  userAuth,
);
const rawOther = envelope(text, z.unknown().optional(), portalAuth);

const yes = (flag: string | undefined, whenMissing: boolean) => (flag === undefined ? whenMissing : flag === 'Y');
const optionalNumber = (value: string | undefined) => (value === undefined || value === '' ? undefined : Number(value));

/** Raw schemas, keyed by event name: what the receiver validates. */
export const rawEventSchemas = {
  ONAPPMETHODCONFIRM: rawMethodConfirm,
  ONAPPINSTALL: rawInstall,
  ONAPPUPDATE: rawUpdate,
  ONAPPUNINSTALL: rawUninstall,
  ONAPPPAYMENT: rawPayment,
  ONAPPTEST: rawTest,
};

/** Normalised schemas, keyed by event name: what handlers receive. */
export const eventSchemas = {
  ONAPPMETHODCONFIRM: rawMethodConfirm.transform((raw) => ({
    ...normaliseEnvelope(raw),
    event: raw.event,
    data: {
      tokenHash: tokenHash(raw.data.TOKEN),
      method: raw.data.METHOD.toLowerCase(),
      confirmed: raw.data.CONFIRMED === '1',
      languageId: raw.data.LANGUAGE_ID,
    },
  })),
  ONAPPINSTALL: rawInstall.transform((raw) => ({
    ...normaliseEnvelope(raw),
    event: raw.event,
    data: {
      version: raw.data.VERSION,
      active: yes(raw.data.ACTIVE, true),
      installed: yes(raw.data.INSTALLED, true),
      languageId: raw.data.LANGUAGE_ID,
    },
  })),
  ONAPPUPDATE: rawUpdate.transform((raw) => ({
    ...normaliseEnvelope(raw),
    event: raw.event,
    data: {
      version: raw.data.VERSION,
      previousVersion: raw.data.PREVIOUS_VERSION,
      languageId: raw.data.LANGUAGE_ID,
    },
  })),
  ONAPPUNINSTALL: rawUninstall.transform((raw) => ({
    ...normaliseEnvelope(raw),
    event: raw.event,
    data: { clean: raw.data?.CLEAN === '1', languageId: raw.data?.LANGUAGE_ID },
  })),
  ONAPPPAYMENT: rawPayment.transform((raw) => ({
    ...normaliseEnvelope(raw),
    event: raw.event,
    data: {
      code: raw.data.CODE,
      version: raw.data.VERSION,
      status: raw.data.STATUS,
      paymentExpired: yes(raw.data.PAYMENT_EXPIRED, false),
      days: optionalNumber(raw.data.DAYS),
      languageId: raw.data.LANGUAGE_ID,
    },
  })),
  ONAPPTEST: rawTest.transform((raw) => ({
    ...normaliseEnvelope(raw),
    event: raw.event,
    data: { query: raw.data?.QUERY, languageId: raw.data?.LANGUAGE_ID },
  })),
};

/** Any other event (business events such as ONCRMDEALADD): envelope checked, `data` kept as sent. */
export const otherEventSchema = rawOther.transform((raw) => ({ ...normaliseEnvelope(raw), data: raw.data }));

export type KnownEventName = keyof typeof eventSchemas;
export type RawEvent<N extends KnownEventName> = z.output<(typeof rawEventSchemas)[N]>;
export type AnyRawEvent = RawEvent<KnownEventName> | z.output<typeof rawOther>;
export type OtherEvent = z.output<typeof otherEventSchema>;
/** The normalised event a handler of `N` receives. */
export type B24Event<N extends string> = N extends KnownEventName ? z.output<(typeof eventSchemas)[N]> : OtherEvent;

export const knownEventNames = Object.keys(eventSchemas) as KnownEventName[];

export function isKnownEvent(name: string): name is KnownEventName {
  return Object.hasOwn(eventSchemas, name);
}

export function rawSchemaFor(name: string): z.ZodType<AnyRawEvent> {
  return isKnownEvent(name) ? rawEventSchemas[name] : rawOther;
}

export function eventSchemaFor(name: string): z.ZodType<B24Event<string>> {
  return (isKnownEvent(name) ? eventSchemas[name] : otherEventSchema) as z.ZodType<B24Event<string>>;
}
