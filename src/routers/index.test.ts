import { describe, expect, it } from 'vitest';
import { EmbeddedProxy } from '../proxy/proxy.js';
import { RouterError, ROUTER_TYPES, createRouter } from './index.js';

describe('createRouter', () => {
  it.each(ROUTER_TYPES.filter((t) => t !== 'embedded'))('creates a %s router', (type) => {
    expect(createRouter({ type }).type).toBe(type);
  });

  it('creates an embedded router around the proxy it is given', async () => {
    const proxy = new EmbeddedProxy();
    try {
      expect(createRouter({ type: 'embedded' }, { proxy }).type).toBe('embedded');
    } finally {
      await proxy.close();
    }
  });

  it('refuses an embedded router without a proxy', () => {
    expect(() => createRouter({ type: 'embedded' })).toThrow(expect.objectContaining({ code: 'SLUICE_ROUTER_CONFIG' }));
  });

  it('refuses an unknown type, listing the known ones', () => {
    let err: unknown;
    try {
      createRouter({ type: 'envoy' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RouterError);
    expect((err as RouterError).code).toBe('SLUICE_ROUTER_UNKNOWN_TYPE');
    expect((err as RouterError).message).toContain('"envoy"');
    for (const t of ROUTER_TYPES) expect((err as RouterError).message).toContain(t);
  });
});
