import { afterEach, describe, expect, it } from 'vitest';
import { RouterError } from './errors.js';
import type { Routes, TrafficRouter } from './router.js';
import { allToStable } from './router.js';

/** Routes the contract uses: no traffic is sent, so the upstreams need not exist. */
function routes(over: Partial<Routes> = {}): Routes {
  return {
    listen: '127.0.0.1:0',
    stable: ['http://127.0.0.1:9', 'http://127.0.0.1:10'],
    canary: ['http://127.0.0.1:11'],
    canaryWeight: 10,
    ...over,
  };
}

async function invalidCode(p: Promise<unknown>): Promise<string | undefined> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'expected setRoutes to reject').toBeInstanceOf(RouterError);
  return (err as RouterError).code;
}

/**
 * The behaviour every TrafficRouter shares. Each implementation's test calls
 * this with a factory; `teardown` releases what the router holds (listeners…).
 */
export function runRouterContract(
  name: string,
  newRouter: () => TrafficRouter | Promise<TrafficRouter>,
  teardown: (router: TrafficRouter) => Promise<void> = async () => undefined,
): void {
  describe(`TrafficRouter contract: ${name}`, () => {
    const made: TrafficRouter[] = [];
    const make = async (): Promise<TrafficRouter> => {
      const r = await newRouter();
      made.push(r);
      return r;
    };
    afterEach(async () => {
      await Promise.all(made.splice(0).map(teardown));
    });

    it('reports its type', async () => {
      const r = await make();
      expect(typeof r.type).toBe('string');
      expect(r.type.length).toBeGreaterThan(0);
    });

    it('returns undefined for a service it never carried', async () => {
      const r = await make();
      expect(await r.getRoutes('unknown')).toBeUndefined();
    });

    it('getRoutes reflects each setRoutes, and returns a copy', async () => {
      const r = await make();
      for (const w of [0, 10, 50, 100, 0]) {
        await r.setRoutes('web', routes({ canaryWeight: w }));
        expect(await r.getRoutes('web')).toEqual(routes({ canaryWeight: w }));
      }
      const got = (await r.getRoutes('web'))!;
      got.stable.push('http://127.0.0.1:12');
      got.canaryWeight = 77;
      expect(await r.getRoutes('web')).toEqual(routes({ canaryWeight: 0 }));
    });

    it('is not affected by the caller mutating the routes it passed', async () => {
      const r = await make();
      const mine = routes({ canaryWeight: 20 });
      await r.setRoutes('web', mine);
      mine.canary.push('http://127.0.0.1:13');
      mine.canaryWeight = 90;
      expect(await r.getRoutes('web')).toEqual(routes({ canaryWeight: 20 }));
    });

    it('is idempotent: the same routes twice are harmless', async () => {
      const r = await make();
      await r.setRoutes('web', routes());
      await r.setRoutes('web', routes());
      expect(await r.getRoutes('web')).toEqual(routes());
    });

    it('applies a rollback (allToStable) in one call', async () => {
      const r = await make();
      await r.setRoutes('web', routes({ canaryWeight: 60 }));
      await r.setRoutes('web', allToStable(routes({ canaryWeight: 60 })));
      expect((await r.getRoutes('web'))?.canaryWeight).toBe(0);
    });

    it('carries sticky, match and mirror settings, reads them back exactly, and a rollback drops match and mirror', async () => {
      const r = await make();
      const routing: Partial<Routes> = {
        canaryWeight: 20,
        stickiness: { header: 'x-user-id', anonymousCookie: { name: 'sk', maxAge: 60_000 } },
        match: [{ headers: { 'x-canary': { exact: '1' } }, query: { v: { regex: '^2' } } }, { cookies: { beta: { prefix: 'y' } } }],
        mirror: { percent: 25 },
      };
      await r.setRoutes('web', routes(routing));
      expect(await r.getRoutes('web')).toEqual(routes(routing));
      await r.setRoutes('web', allToStable(routes(routing)));
      const back = await r.getRoutes('web');
      expect(back).toEqual(routes({ canaryWeight: 0, stickiness: routing.stickiness }));
    });

    it.each<[string, Partial<Routes>]>([
      ['a regex the linear-time engine refuses', { match: [{ headers: { 'x-a': { regex: '(a)\\1' } } }] }],
      ['a rule without conditions', { match: [{}] }],
      ['a condition with two comparisons', { match: [{ cookies: { c: { exact: 'a', prefix: 'b' } as never } }] }],
      ['an uppercase header name', { match: [{ headers: { 'X-A': { exact: '1' } } }] }],
      ['stickiness by header and cookie at once', { stickiness: { header: 'x-u', cookie: 'u' } }],
      ['a mirror percent of 0', { mirror: { percent: 0 } }],
    ])('rejects routing with %s with SLUICE_ROUTES_INVALID', async (_what, over) => {
      const r = await make();
      expect(await invalidCode(r.setRoutes('web', routes(over)))).toBe('SLUICE_ROUTES_INVALID');
      expect(await r.getRoutes('web')).toBeUndefined();
    });

    it.each([-1, 100.5, Number.NaN, Number.POSITIVE_INFINITY, '10' as unknown as number])(
      'rejects canaryWeight %s with SLUICE_ROUTES_INVALID and keeps the previous routes',
      async (w) => {
        const r = await make();
        await r.setRoutes('web', routes({ canaryWeight: 30 }));
        expect(await invalidCode(r.setRoutes('web', routes({ canaryWeight: w })))).toBe('SLUICE_ROUTES_INVALID');
        expect(await r.getRoutes('web')).toEqual(routes({ canaryWeight: 30 }));
      },
    );

    it.each<[string, Partial<Routes>]>([
      ['no stable upstream', { stable: [] }],
      ['a stable URL without scheme', { stable: ['127.0.0.1:8080'] }],
      ['a canary URL with a path', { canary: ['http://127.0.0.1:8080/v2'] }],
      ['a listen address without port', { listen: 'localhost' }],
      ['a listen port above 65535', { listen: '127.0.0.1:70000' }],
    ])('rejects %s with SLUICE_ROUTES_INVALID', async (_what, over) => {
      const r = await make();
      expect(await invalidCode(r.setRoutes('web', routes(over)))).toBe('SLUICE_ROUTES_INVALID');
      expect(await r.getRoutes('web')).toBeUndefined();
    });

    it('accepts an empty canary list (everything stays on stable)', async () => {
      const r = await make();
      await r.setRoutes('web', routes({ canary: [], canaryWeight: 0 }));
      expect((await r.getRoutes('web'))?.canary).toEqual([]);
    });

    it('finalize forgets the service; finalizing again or an unknown service is harmless', async () => {
      const r = await make();
      await r.setRoutes('web', routes());
      await r.setRoutes('api', routes({ canaryWeight: 40 }));
      await r.finalize('web');
      expect(await r.getRoutes('web')).toBeUndefined();
      expect(await r.getRoutes('api')).toEqual(routes({ canaryWeight: 40 }));
      await r.finalize('web');
      await r.finalize('never-seen');
      await r.setRoutes('web', routes({ canaryWeight: 5 }));
      expect((await r.getRoutes('web'))?.canaryWeight).toBe(5);
    });
  });
}
