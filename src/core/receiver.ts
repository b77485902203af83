/**
 * The receiving pipeline, from raw bytes to a stored event: content type, size, decode, validate, prove, then one
 * transaction that writes the inbox row and the built-in state change. When `receive` returns, the event is on disk.
 */
import {
  B24EventsError,
  bodyKindOf,
  decodeBody,
  MalformedBodyError,
  parseRawEvent,
  PayloadTooLargeError,
  scrubPayload,
  secretsEqual,
  sha256Hex,
  UnsupportedMediaTypeError,
  type AnyRawEvent,
} from '../protocol/index.js';
import { findInboxEventByKey, insertInboxEvent } from '../store/inbox.js';
import type { Store } from '../store/schema.js';
import { applyEvent } from './apply-event.js';
import type { OAuthSettings } from '../rest/oauth.js';
import { prove } from './prove.js';

export interface IncomingBody {
  contentType: string | undefined;
  body: Uint8Array | string;
}

export interface Receipt {
  inboxId: number;
  event: string;
  memberId: string;
  duplicate: boolean;
}

export type ReceiveOutcome =
  | { ok: true; receipt: Receipt }
  | { ok: false; error: B24EventsError; event?: string | undefined; memberId?: string | undefined };

export interface ReceiverOptions {
  /** Already migrated: the app does that before the first request. */
  store: Store;
  oauth: OAuthSettings;
  maxBodyBytes: number;
  /** Told of every outcome, accepted or refused, after it is final (for logs and metrics). */
  observe?: (outcome: ReceiveOutcome) => void;
  /** Called after an accepted event is committed, to wake the handler workers. */
  onStored?: (receipt: Receipt) => void;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortedKeys((value as Record<string, unknown>)[k])]));
}

/** The same event delivered twice (same portal, name, time and data) has the same key. */
export function dedupeKey(raw: AnyRawEvent): string {
  return sha256Hex(JSON.stringify([raw.auth.member_id, raw.event, raw.ts, sortedKeys(raw.data ?? null)]));
}

export class Receiver {
  constructor(private readonly options: ReceiverOptions) {}

  async receive(incoming: IncomingBody): Promise<Receipt> {
    let raw: AnyRawEvent | undefined;
    try {
      raw = this.decode(incoming);
      const receipt = await this.store(raw);
      this.options.observe?.({ ok: true, receipt });
      if (!receipt.duplicate) this.options.onStored?.(receipt);
      return receipt;
    } catch (error) {
      if (error instanceof B24EventsError) {
        this.options.observe?.({ ok: false, error, event: raw?.event, memberId: raw?.auth.member_id });
      }
      throw error;
    }
  }

  private decode({ contentType, body }: IncomingBody): AnyRawEvent {
    const kind = bodyKindOf(contentType);
    if (!kind) throw new UnsupportedMediaTypeError(contentType);
    const size = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
    if (size > this.options.maxBodyBytes) throw new PayloadTooLargeError(this.options.maxBodyBytes);
    let text: string;
    try {
      text = typeof body === 'string' ? body : utf8.decode(body);
    } catch {
      throw new MalformedBodyError('The body is not valid UTF-8.');
    }
    return parseRawEvent(decodeBody(kind, text));
  }

  private async store(raw: AnyRawEvent): Promise<Receipt> {
    const { store, oauth } = this.options;
    const key = dedupeKey(raw);
    const tokenHash = sha256Hex(raw.auth.application_token);
    // A repeated delivery is answered like the first, even if that first one changed what a new proof would find
    // (an ONAPPUNINSTALL, a spent refresh token); carrying the same application_token is the proof.
    const earlier = await findInboxEventByKey(store.db, key);
    if (earlier && secretsEqual(earlier.application_token_hash, tokenHash)) {
      return { inboxId: Number(earlier.id), event: raw.event, memberId: raw.auth.member_id, duplicate: true };
    }
    const proof = await prove(store.db, raw, oauth);
    const now = new Date();
    const at = now.toISOString();
    const { id, inserted } = await store.db.transaction().execute(async (trx) => {
      const stored = await insertInboxEvent(trx, {
        dedupe_key: key,
        member_id: raw.auth.member_id,
        event: raw.event,
        ts: new Date(Number(raw.ts) * 1000).toISOString(),
        received_at: at,
        payload: JSON.stringify(scrubPayload(raw)),
        application_token_hash: tokenHash,
        status: 'pending',
        attempts: 0,
        next_attempt_at: at,
      });
      if (stored.inserted) {
        await applyEvent(trx, raw, proof, now);
        await store.announceWork(trx);
      }
      return stored;
    });
    return { inboxId: id, event: raw.event, memberId: raw.auth.member_id, duplicate: !inserted };
  }
}
