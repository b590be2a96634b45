import { describe, expect, it } from 'vitest';
import { runRouterContract } from './contract.js';
import { MemoryRouter } from './memory.js';

runRouterContract('memory', () => new MemoryRouter());

describe('MemoryRouter', () => {
  it('records calls in order and fails the calls it is told to', async () => {
    const r = new MemoryRouter();
    const routes = { listen: ':8080', stable: ['http://s:1'], canary: [], canaryWeight: 0 };
    r.failNext(new Error('data plane down'));
    await expect(r.setRoutes('web', routes)).rejects.toThrow('data plane down');
    await r.setRoutes('web', routes);
    await r.getRoutes('web');
    await r.finalize('web');
    expect(r.calls.map((c) => c.method)).toEqual(['setRoutes', 'setRoutes', 'getRoutes', 'finalize']);
    expect(r.callsOf('setRoutes')[1].routes).toEqual(routes);
  });
});
