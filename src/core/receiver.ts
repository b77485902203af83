/**
 * The receiving pipeline, from raw bytes to a stored event: content type, size, decode, validate, prove, then one
 * transaction that writes the inbox row and the built-in state change. When `receive` returns, the event is on disk.
 */
import {
  B24EventsError,
  bodyKindOf,
  decodeBody,
  installFromFrame,
  MalformedBodyError,
  parseRawEvent,
  checkBodySize,
  sha256Hex,
  UnsupportedMediaTypeError,
  type AnyRawEvent,
  type Payload,
} from '../protocol/index.js';
import { isStoreUnavailable } from '../store/errors.js';
import { findUnstartedByBody } from '../store/inbox.js';
import type { Store } from '../store/schema.js';
import { ApplicationTokenCache } from './application-token-cache.js';
import { GroupCommit } from './group-commit.js';
import { verifyApplicationToken, type OriginProver } from './proof-of-origin.js';
import { storeEvents, type ProvedEvent, type StoredEvent } from './store-events.js';

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
  /** Called after an accepted event is committed, with the tasks that commit gave work, to wake them. */
  onStored?: (work: readonly string[]) => void;
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

/** Proved by their OAuth tokens, or carrying tokens the installation takes: always read from the database. */
const INSTALLS = new Set(['ONAPPINSTALL', 'ONAPPUPDATE']);

export class Receiver {
  private readonly cache = new ApplicationTokenCache();
  private readonly group: GroupCommit<ProvedEvent, StoredEvent>;

  constructor(private readonly options: ReceiverOptions) {
    this.group = new GroupCommit(
      (events) => storeEvents(options.store, this.cache, events),
      (error) => !isStoreUnavailable(error),
    );
  }

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
      const { receipt, work } = await this.commit(decoded.raw, decoded.hash);
      this.options.observe?.({ ok: true, receipt });
      if (!receipt.duplicate) this.options.onStored?.(work);
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

  /**
   * Proves the event and stores it with its state change (or joins an identical unstarted one), in the next group
   * commit. An ordinary event whose application_token matches the cached installation is proved without a read; any
   * other (an install, an update, a token that does not match, a portal not cached) is proved against the database,
   * so a refusal is always decided on what is stored, and costs no write.
   */
  private async commit(raw: AnyRawEvent, hash: string): Promise<{ receipt: Receipt; work: readonly string[] }> {
    const { store, prover } = this.options;
    const receipt = (inboxId: number, duplicate: boolean): Receipt => ({
      inboxId,
      event: raw.event,
      memberId: raw.auth.member_id,
      duplicate,
    });
    let stored: StoredEvent;
    const cached = this.cache.peek(raw.auth.member_id);
    const check = cached && verifyApplicationToken(cached, raw.auth.member_id, raw.auth.application_token);
    if (check?.ok && !INSTALLS.has(raw.event)) {
      stored = await this.group.add({
        raw,
        hash,
        proof: { by: 'application_token', installation: cached! },
        cached: true,
      });
    } else {
      // The same bytes as an event whose handlers have not started: it joins that one. The hash covers the
      // application_token, so an equal hash is as good a proof as the first delivery had.
      const unstarted = await findUnstartedByBody(store.db, hash);
      if (unstarted) return { receipt: receipt(unstarted.id, true), work: [] };
      const proof = await prover.prove(store.db, raw, hash, this.cache.read);
      stored = await this.group.add({ raw, hash, proof, cached: false });
    }
    if (!stored.ok) throw stored.error;
    return { receipt: receipt(stored.id, !stored.inserted), work: stored.work };
  }
}
