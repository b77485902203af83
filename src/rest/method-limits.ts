/**
 * Method time limits (docs/protocol.md#77-limits): a portal counts each method's execution time for this app over
 * ten one-minute baskets and answers OPERATION_TIME_LIMIT once it passes the limit (480 s in the cloud), until the
 * time has dropped back under it. Every answer's `time` says how much is used (`operating`) and when the oldest
 * basket drops out (`operating_reset_at`). The client reads both:
 *
 * - when `operating` comes within HEADROOM_SECONDS of the limit, it stops sending the method until
 *   `operating_reset_at`, before the portal has to refuse (the official JS SDK does the same);
 * - when the portal refuses, the method is blocked until the last `operating_reset_at` this process saw for it, or
 *   for `retryMs` (one basket) when it saw none or that time has passed: the earliest the block can lift.
 *
 * Blocks are written to the store, so every instance honours them; each process reads a portal's blocks at most once
 * every BLOCKS_READ_MS (a block another instance recorded is seen within that; at worst one more request meets the
 * portal's refusal), so a request costs no extra query. What this process saw of `time` stays here.
 */
import type { RateLimit } from '../protocol/index.js';
import { OperationTimeLimit } from './errors.js';

/** What the client keeps in the store: the portal's shared leaky bucket and the methods blocked on it. */
export interface LimitsStore {
  /** Takes the portal's next request place; answers how many ms to wait (`full`: count the bucket full, take none). */
  reserveRequest(memberId: string, limit: RateLimit, full?: boolean): Promise<number>;
  /** The portal's blocks in force: method (lower case) → until. */
  blocks(memberId: string): Promise<Map<string, Date>>;
  /** Records (or lengthens) a block. */
  block(memberId: string, method: string, until: Date, reason: 'OPERATION_TIME_LIMIT' | 'operating'): Promise<void>;
}

/** Not sent: the method is blocked for this portal until `until`. */
export function blockedError(method: string, until: Date): OperationTimeLimit {
  const error = new OperationTimeLimit(
    'OPERATION_TIME_LIMIT',
    `${method} was not sent: the portal blocked it for this app (its execution time limit) until ${until.toISOString()}`,
    0,
  );
  error.retryAt = until;
  return error;
}

/** How close to the limit `operating` may come before the client stops sending a method. */
export const HEADROOM_SECONDS = 5;
/** One second past `operating_reset_at`: the portal's clock and ours differ a little. */
const RESET_MARGIN_MS = 1000;
const MAX_NOTED = 10_000;
export const BLOCKS_READ_MS = 1000;

export class MethodTimes {
  /** `memberId method` → the last `operating_reset_at` seen, in ms. */
  private readonly resets = new Map<string, number>();
  /** memberId → the portal's blocks as last read from the store, and when. */
  private readonly read = new Map<string, { at: number; blocks: Promise<Map<string, Date>> }>();

  constructor(
    private readonly store: LimitsStore,
    private readonly limitSeconds: number,
    private readonly retryMs: number,
  ) {}

  /** The portal's blocks in force now among `methods` (lower case): method → until. */
  async blocked(memberId: string, methods: string[]): Promise<Map<string, Date>> {
    let known = this.read.get(memberId);
    if (!known || Date.now() - known.at >= BLOCKS_READ_MS) {
      if (this.read.size >= MAX_NOTED) this.read.clear();
      known = { at: Date.now(), blocks: this.store.blocks(memberId) };
      known.blocks.catch(() => this.read.delete(memberId));
      this.read.set(memberId, known);
    }
    const blocks = await known.blocks;
    const now = Date.now();
    return new Map(methods.flatMap((m) => ((blocks.get(m)?.getTime() ?? 0) > now ? [[m, blocks.get(m)!]] : [])));
  }

  private async block(memberId: string, method: string, until: Date, reason: 'OPERATION_TIME_LIMIT' | 'operating') {
    await this.store.block(memberId, method, until, reason);
    this.read.delete(memberId); // read it again, with this block and any longer one
  }

  /** Reads an answer's `time` for one method; blocks the method ahead of the portal when it nears the limit. */
  async note(memberId: string, method: string, time: unknown): Promise<void> {
    const { operating, operating_reset_at: resetAt } = (time ?? {}) as Record<string, unknown>;
    if (typeof resetAt !== 'number' || !Number.isFinite(resetAt)) return;
    if (this.resets.size >= MAX_NOTED) this.forgetPast();
    this.resets.set(`${memberId} ${method}`, resetAt * 1000);
    if (typeof operating === 'number' && operating >= this.limitSeconds - HEADROOM_SECONDS)
      await this.block(memberId, method, new Date(resetAt * 1000 + RESET_MARGIN_MS), 'operating');
  }

  /** The portal answered OPERATION_TIME_LIMIT for `method`: records the block and answers when it ends. */
  async refused(memberId: string, method: string): Promise<Date> {
    const reset = this.resets.get(`${memberId} ${method}`);
    const until = new Date(reset && reset > Date.now() ? reset + RESET_MARGIN_MS : Date.now() + this.retryMs);
    await this.block(memberId, method, until, 'OPERATION_TIME_LIMIT');
    return until;
  }

  private forgetPast(): void {
    const now = Date.now();
    for (const [key, at] of this.resets) if (at <= now) this.resets.delete(key);
    if (this.resets.size >= MAX_NOTED) this.resets.clear();
  }
}
