import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Client (SDK) keys: random secrets shown once, stored only as a SHA-256
 * hash. They are read-only and belong to one environment; operator tokens
 * are a different thing and never evaluate flags. A key's stream token (for
 * OFREP's SSE URL, where clients cannot send headers) is an HMAC keyed by the
 * stored hash, so it dies with the key.
 */

export const CLIENT_KEY_PREFIX = 'sluice_ck_';

export function newClientKey(): { id: string; secret: string; hash: string; hint: string } {
  const secret = CLIENT_KEY_PREFIX + randomBytes(24).toString('base64url');
  return { id: `ck_${randomBytes(6).toString('hex')}`, secret, hash: hashClientKey(secret), hint: secret.slice(0, CLIENT_KEY_PREFIX.length + 4) };
}

export function hashClientKey(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** `id.signature`: names the key and proves the holder was given it by the server. */
export function streamToken(id: string, keyHash: string): string {
  return `${id}.${createHmac('sha256', keyHash).update(`ofrep-sse:${id}`).digest('base64url')}`;
}

/** The key id a stream token claims, if it is shaped like one. */
export function streamTokenId(token: string): string | undefined {
  const dot = token.indexOf('.');
  return dot > 0 ? token.slice(0, dot) : undefined;
}

export function verifyStreamToken(token: string, id: string, keyHash: string): boolean {
  const expected = Buffer.from(streamToken(id, keyHash));
  const got = Buffer.from(token);
  return got.length === expected.length && timingSafeEqual(got, expected);
}

/** The client key in a request: `X-API-Key: <key>` or `Authorization: Bearer <key>`. */
export function clientKeyFromHeaders(headers: Readonly<Record<string, string | string[] | undefined>>): string | undefined {
  const apiKey = headers['x-api-key'];
  if (typeof apiKey === 'string' && apiKey !== '') return apiKey.trim();
  const auth = headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m) return m[1];
  }
  return undefined;
}
