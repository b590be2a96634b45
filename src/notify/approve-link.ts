import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * One-click approve links for paused rollouts: a signed token naming the
 * exact pause it may end (rollout, revision, start of the revision, step),
 * with an expiry. Signing makes it unforgeable; the controller makes it
 * single use (the use is recorded in the rollout's stored history) and
 * refuses it once the rollout has moved on.
 */

/** What a link may do: promote this rollout past this pause. */
export interface ApprovalTarget {
  rollout: string;
  revision: number;
  /** state.startedAt of the revision's start (a retry is a new start). */
  startedAt: number;
  /** state.stepIndex of the pause. */
  step: number;
}

export interface ApprovalClaim extends ApprovalTarget {
  /** Random id: the actor of the approval is `approve-link:<id>`, which makes the use findable. */
  id: string;
  /** Expiry, ms since the epoch. */
  expiresAt: number;
}

export type ApproveLinkCode = 'SLUICE_APPROVE_MALFORMED' | 'SLUICE_APPROVE_BAD_SIGNATURE' | 'SLUICE_APPROVE_EXPIRED';

export type VerifyResult = { ok: true; claim: ApprovalClaim } | { ok: false; code: ApproveLinkCode; message: string };

export interface ApproveLinksOptions {
  /** HMAC-SHA256 key (32 random bytes). */
  key: Buffer;
  /** The server's public base URL, e.g. https://sluice.example.com (read when a link is made). */
  baseUrl: () => string;
  /** How long a link works (default 24 h). */
  ttlMs?: number;
  now?: () => number;
}

export const DEFAULT_APPROVE_TTL_MS = 24 * 3_600_000;
const VERSION = 'v1';

/** The actor recorded when a link is used. */
export function approveActor(id: string): string {
  return `approve-link:${id}`;
}

export class ApproveLinks {
  private readonly now: () => number;
  readonly ttlMs: number;

  constructor(private readonly opts: ApproveLinksOptions) {
    if (opts.key.length < 16) throw new Error('ApproveLinks: the key must be at least 16 bytes');
    this.now = opts.now ?? Date.now;
    this.ttlMs = opts.ttlMs ?? DEFAULT_APPROVE_TTL_MS;
  }

  /** A link for one pause: the URL to put in a notification. */
  create(target: ApprovalTarget): { url: string; token: string; claim: ApprovalClaim } {
    const claim: ApprovalClaim = { ...target, id: randomBytes(9).toString('base64url'), expiresAt: this.now() + this.ttlMs };
    // Compact, URL-safe and dot-separated: rollout names are DNS labels, the numbers base 36.
    const b36 = (n: number) => Math.trunc(n).toString(36);
    const payload = [claim.rollout, b36(claim.revision), b36(claim.startedAt), b36(claim.step), claim.id, b36(claim.expiresAt)].join('.');
    const token = `${VERSION}.${payload}.${this.sign(payload)}`;
    const base = this.opts.baseUrl().replace(/\/+$/, '');
    return { url: `${base}/api/v1/approve/${token}`, token, claim };
  }

  /** Checks a token's form, signature (in constant time) and expiry. */
  verify(token: string): VerifyResult {
    const parts = token.split('.');
    const malformed = { ok: false as const, code: 'SLUICE_APPROVE_MALFORMED' as const, message: 'this is not a Sluice approve link (the token is incomplete or damaged); copy the whole link from the notification' };
    if (parts.length !== 8 || parts[0] !== VERSION || parts.some((p) => p === '')) return malformed;
    const signature = parts[7]!;
    const payload = parts.slice(1, 7).join('.');
    const want = Buffer.from(this.sign(payload), 'base64url');
    const got = Buffer.from(signature, 'base64url');
    if (got.length !== want.length || !timingSafeEqual(got, want)) {
      return { ok: false, code: 'SLUICE_APPROVE_BAD_SIGNATURE', message: 'this approve link was not made by this Sluice server (its signature does not match); use the link from the latest notification' };
    }
    const [rollout, revision, startedAt, step, id, expiresAt] = parts.slice(1, 7) as [string, string, string, string, string, string];
    const nums = [revision, startedAt, step, expiresAt].map((v) => (/^[0-9a-z]{1,12}$/.test(v) ? parseInt(v, 36) : NaN));
    if (nums.some((n) => !Number.isSafeInteger(n))) return malformed;
    const claim: ApprovalClaim = { rollout, revision: nums[0]!, startedAt: nums[1]!, step: nums[2]!, id, expiresAt: nums[3]! };
    if (this.now() >= claim.expiresAt) {
      return { ok: false, code: 'SLUICE_APPROVE_EXPIRED', message: `this approve link for ${rollout} expired at ${new Date(claim.expiresAt).toISOString()}; run \`sluice promote ${rollout}\` or use a newer notification` };
    }
    return { ok: true, claim };
  }

  /** HMAC-SHA256 truncated to 128 bits (RFC 2104 allows it; it keeps links short). */
  private sign(payload: string): string {
    return createHmac('sha256', this.opts.key).update(`${VERSION}.${payload}`).digest().subarray(0, 16).toString('base64url');
  }
}

/** The approve-link key of a data directory, created (32 random bytes, owner-only) on first use, so links survive restarts. */
export function loadApproveKey(dataDir: string): Buffer {
  const file = join(dataDir, 'approve-links.key');
  if (existsSync(file)) {
    const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'hex');
    if (key.length >= 16) return key;
    throw new Error(`${file} does not hold an approve-link key (64 hex digits); delete it and Sluice makes a new one (links already sent stop working)`);
  }
  const key = randomBytes(32);
  writeFileSync(file, key.toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return key;
}
