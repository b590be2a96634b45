import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cookieValue } from './cookies.js';
import { compileChoice, pickRole } from './choice.js';
import { bucketInCanary, requestKey, stickyBucket, stickyPlan } from './sticky.js';
import type { Routes } from '../routers/router.js';

const vectors = JSON.parse(readFileSync(new URL('../../docs/flags-bucketing-vectors.json', import.meta.url), 'utf8')) as {
  vectors: Array<{ salt: string; value: string; bucket: number }>;
};

const routes = (over: Partial<Routes>): Routes => ({ listen: ':0', stable: ['http://s'], canary: ['http://c'], canaryWeight: 0, ...over });
const never = () => {
  throw new Error('a sticky request must not draw at random');
};

describe('sticky buckets', () => {
  it('are the published bucketing vectors, with the service name as the salt', () => {
    expect(vectors.vectors.length).toBeGreaterThan(5);
    for (const v of vectors.vectors) expect(stickyBucket(stickyPlan(v.salt, { header: 'x' }), v.value), `${v.salt}:${v.value}`).toBe(v.bucket);
  });

  it.each([
    [51929, 51.929, false],
    [51929, 51.93, true],
    [0, 0, false],
    [0, 0.001, true],
    [99999, 99.999, false],
    [99999, 100, true],
  ])('bucket %i at weight %f is canary: %s', (bucket, weight, canary) => {
    expect(bucketInCanary(bucket, weight)).toBe(canary);
  });

  it('never move a key back to stable when the weight grows (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.string({ minLength: 1, maxLength: 20 }), fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 0, max: 100_000 }), (key, service, a, b) => {
        const [lo, hi] = a <= b ? [a / 1000, b / 1000] : [b / 1000, a / 1000];
        const choice = (w: number) => compileChoice(service, routes({ canaryWeight: w, stickiness: { header: 'x-user-id' } }));
        const req = { headers: { 'x-user-id': key || 'k' } };
        const before = pickRole(choice(lo), true, req, undefined, never);
        const after = pickRole(choice(hi), true, req, undefined, never);
        return before === 'stable' || after === 'canary';
      }),
      { numRuns: 2000 },
    );
  });

  it('spread sequential user ids evenly over ten deciles', () => {
    const plan = stickyPlan('checkout', { header: 'x-user-id' });
    const deciles = new Array<number>(10).fill(0);
    for (let i = 0; i < 20_000; i++) deciles[Math.floor(stickyBucket(plan, `user-${i}`) / 10_000)]++;
    for (const n of deciles) expect(Math.abs(n - 2000)).toBeLessThan(200);
  });

  it('hash non-ASCII keys as UTF-8', () => {
    const plan = stickyPlan('s', { header: 'x' });
    expect(stickyBucket(plan, 'zoë')).not.toBe(stickyBucket(plan, 'zoe'));
    expect(stickyBucket(plan, 'zoë')).toBe(stickyBucket(stickyPlan('s', { cookie: 'c' }), 'zo\u00eb'));
  });
});

describe('requestKey', () => {
  const plan = stickyPlan('s', { header: 'x-user-id', anonymousCookie: { name: 'sk', maxAge: 60_000 } });

  it.each([
    ['the header', { 'x-user-id': 'u1', cookie: 'sk=a1' }, 'u1'],
    ['the anonymous cookie when the header is absent', { cookie: 'x=1; sk=a1' }, 'a1'],
    ['the anonymous cookie when the header is empty', { 'x-user-id': '', cookie: 'sk=a1' }, 'a1'],
    ['nothing without either', { cookie: 'other=1' }, undefined],
  ])('takes %s', (_what, headers, key) => {
    expect(requestKey(plan, headers)).toBe(key);
  });

  it('reads a cookie key before the anonymous cookie', () => {
    expect(requestKey(stickyPlan('s', { cookie: 'uid', anonymousCookie: { name: 'sk', maxAge: 1000 } }), { cookie: 'sk=a; uid=u' })).toBe('u');
  });
});

describe('cookieValue', () => {
  it.each([
    ['a=1; b=2', 'b', '2'],
    ['a=1;b=2', 'b', '2'],
    ['ab=1; b=2', 'b', '2'],
    ['b=; a=1', 'b', ''],
    ['b="quoted value"', 'b', 'quoted value'],
    ['a=b=c', 'a', 'b=c'],
    ['a=1', 'A', undefined],
    ['', 'a', undefined],
    ['xa=1', 'a', undefined],
  ])('in %j, %s is %j', (header, name, value) => {
    expect(cookieValue(header, name)).toBe(value);
  });
});
