/**
 * The receiving pipeline, from raw bytes to a stored event: content type, size, decode, validate, prove, then one
 * transaction that writes the inbox row and the built-in state change. When `receive` returns, the event is on disk.
 */
import {
  B24EventsError,
  bodyKindOf,
  businessObjectKey,
  decodeBody,
  installFromFrame,
  MalformedBodyError,
  parseRawEvent,
  checkBodySize,
  scrubPayload,
  sha256Hex,
  tokenHash,
  UnsupportedMediaTypeError,
  type AnyRawEvent,
  type Payload,
} from '../protocol/index.js';
import { findUnstartedByBody, insertInboxEvent } from '../store/inbox.js';
import type { Store } from '../store/schema.js';
import { applyEvent } from './apply-event.js';
import type { OriginProver, Proof } from './proof-of-origin.js';

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
  prover: OriginProver;
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
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, sortedKeys((value as Record<string, unknown>)[k])]),
  );
}

/**
 * The identity of a delivery: every field as decoded, envelope and auth included. Equal hashes mean equal bodies,
 * which may still be two real events (docs/protocol.md#71-identical-bodies-can-be-two-events); see `insertInboxEvent` for when they merge.
 */
export function bodyHash(payload: Payload): string {
  return sha256Hex(JSON.stringify(sortedKeys(payload)));
}

export class Receiver {
  constructor(private readonly options: ReceiverOptions) {}

  async receive(incoming: IncomingBody): Promise<Receipt> {
    return this.observed(() => {
      const payload = this.decode(incoming);
      return { raw: parseRawEvent(payload), hash: bodyHash(payload) };
    });
  }

  /** The installer frame of an app with a UI, stored as the ONAPPINSTALL it stands for. */
  async receiveInstallerFrame(incoming: IncomingBody, query: URLSearchParams): Promise<Receipt> {
    return this.observed(() => {
      const payload = this.decode(incoming);
      // A reload of the same frame is the same install: the hash leaves out the time of arrival.
      return {
        raw: installFromFrame(payload, query, new Date()),
        hash: bodyHash({ frame: payload, query: Object.fromEntries(query) }),
      };
    });
  }

  private async observed(read: () => { raw: AnyRawEvent; hash: string }): Promise<Receipt> {
    let raw: AnyRawEvent | undefined;
    try {
      const decoded = read();
      raw = decoded.raw;
      const receipt = await this.commit(decoded.raw, decoded.hash);
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

  private decode({ contentType, body }: IncomingBody): Payload {
    const kind = bodyKindOf(contentType);
    if (!kind) throw new UnsupportedMediaTypeError(contentType);
    const size = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
    checkBodySize(size, this.options.maxBodyBytes);
    let text: string;
    try {
      text = typeof body === 'string' ? body : utf8.decode(body);
    } catch {
      throw new MalformedBodyError('The body is not valid UTF-8.');
    }
    return decodeBody(kind, text);
  }

  /** Proves the event and stores it with its state change in one transaction (or joins an identical unstarted one). */
  private async commit(raw: AnyRawEvent, hash: string): Promise<Receipt> {
    const { store, prover } = this.options;
    const receipt = (inboxId: number, duplicate: boolean): Receipt => ({
      inboxId,
      event: raw.event,
      memberId: raw.auth.member_id,
      duplicate,
    });
    // The same bytes as an event whose handlers have not started: it joins that one. The hash covers the
    // application_token, so an equal hash is as good a proof as the first delivery had.
    const unstarted = await findUnstartedByBody(store.db, hash);
    if (unstarted) return receipt(unstarted.id, true);
    const proof: Proof = await prover.prove(store.db, raw, hash);
    const now = new Date();
    const at = now.toISOString();
    const { id, inserted } = await store.db.transaction().execute(async (trx) => {
      const stored = await insertInboxEvent(trx, {
        body_hash: hash,
        member_id: raw.auth.member_id,
        event: raw.event,
        ts: new Date(Number(raw.ts) * 1000).toISOString(),
        received_at: at,
        payload: JSON.stringify(scrubPayload(raw)),
        application_token_hash: tokenHash(raw.auth.application_token),
        status: 'pending',
        attempts: 0,
        next_attempt_at: at,
        object_key: businessObjectKey(raw.event, (raw as { data?: unknown }).data) ?? null,
      });
      if (stored.inserted) {
        await applyEvent(trx, raw, proof, now);
        await store.announceWork(trx);
      }
      return stored;
    });
    return receipt(id, !inserted);
  }
}
