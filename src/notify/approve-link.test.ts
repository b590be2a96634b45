import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ApproveLinks, approveActor, loadApproveKey } from './approve-link.js';

const TARGET = { rollout: 'checkout', revision: 3, startedAt: 1_700_000_000_000, step: 1 };

function links(now: () => number, key: Buffer = Buffer.alloc(32, 7)) {
  return new ApproveLinks({ key, baseUrl: () => 'https://sluice.example/', ttlMs: 60_000, now });
}

describe('ApproveLinks', () => {
  it('makes a URL whose token verifies back to the same pause', () => {
    let t = 1000;
    const l = links(() => t);
    const { url, token, claim } = l.create(TARGET);
    expect(url).toBe(`https://sluice.example/api/v1/approve/${token}`);
    expect(claim).toMatchObject({ ...TARGET, expiresAt: 61_000 });
    expect(claim.id).toMatch(/^[A-Za-z0-9_-]{12}$/);
    expect(token).toMatch(/^v1\.checkout\.3\.[0-9a-z]+\.1\.[\w-]{12}\.1b2g\.[\w-]{22}$/);
    expect(l.verify(token)).toEqual({ ok: true, claim });
    expect(approveActor(claim.id)).toBe(`approve-link:${claim.id}`);
    t = 60_999;
    expect(l.verify(token).ok).toBe(true);
    t = 61_000;
    expect(l.verify(token)).toMatchObject({ ok: false, code: 'SLUICE_APPROVE_EXPIRED' });
  });

  it('refuses a token changed in any way, or signed with another key', () => {
    const l = links(() => 0);
    const { token } = l.create(TARGET);
    expect(token.length).toBeLessThan(80);
    const parts = token.split('.');
    const sig = parts.at(-1)!;
    const forged = [...parts.slice(0, 4), '2', ...parts.slice(5)].join('.');
    expect(l.verify(forged)).toMatchObject({ ok: false, code: 'SLUICE_APPROVE_BAD_SIGNATURE' });
    expect(l.verify(`${parts.slice(0, 7).join('.')}.${sig.slice(0, -2)}AA`)).toMatchObject({ ok: false, code: 'SLUICE_APPROVE_BAD_SIGNATURE' });
    expect(links(() => 0, Buffer.alloc(32, 8)).verify(token)).toMatchObject({ ok: false, code: 'SLUICE_APPROVE_BAD_SIGNATURE' });
    for (const bad of ['', 'v1', 'v2.a.b', parts.slice(0, 7).join('.'), token.replace('.checkout.', '..'), `${token}.x`]) {
      expect(l.verify(bad)).toMatchObject({ ok: false, code: 'SLUICE_APPROVE_MALFORMED' });
    }
  });

  it('keeps its key in the data directory, readable by the owner only, so links survive a restart', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-key-'));
    const key = loadApproveKey(dir);
    expect(key).toHaveLength(32);
    expect(statSync(join(dir, 'approve-links.key')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, 'approve-links.key'), 'utf8').trim()).toBe(key.toString('hex'));
    expect(loadApproveKey(dir).equals(key)).toBe(true);
    const { token } = links(() => 0, key).create(TARGET);
    expect(links(() => 0, loadApproveKey(dir)).verify(token).ok).toBe(true);
  });
});
