import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../cli/demo.js';
import { withPreviewWindows } from '../controller/preview-window.js';
import { startSampleService, type SampleService } from '../demo/sample-service.js';
import { BuiltinProvider } from '../metrics/builtin.js';
import { EmbeddedProxy } from '../proxy/proxy.js';
import { EmbeddedRouter, previewService } from './embedded.js';
import type { Routes } from './router.js';

/** A blue-green preview listener on the real embedded proxy: its requests reach the new version and count as the canary's. */
describe('EmbeddedRouter: preview listener', () => {
  let proxy: EmbeddedProxy;
  let router: EmbeddedRouter;
  let blue: SampleService;
  let green: SampleService;
  let routes: Routes;

  beforeAll(async () => {
    proxy = new EmbeddedProxy();
    router = new EmbeddedRouter(proxy);
    blue = await startSampleService({ version: 'blue' });
    green = await startSampleService({ version: 'green' });
    routes = { listen: `127.0.0.1:${await freePort()}`, stable: [blue.url], canary: [green.url], canaryWeight: 0, preview: { listen: `127.0.0.1:${await freePort()}` } };
  });
  afterAll(async () => {
    await proxy.close();
    await Promise.all([blue.close(), green.close()]);
  });

  const version = async (listen: string) => {
    const res = await request(`http://${listen}/x`);
    await res.body.dump();
    return { version: String(res.headers['x-sample-version']), role: String(res.headers['x-sluice-version']) };
  };

  it('carries the preview on its own address, reads it back, and measures it as the canary', async () => {
    await router.setRoutes('shop', routes);
    expect(await router.getRoutes('shop')).toEqual(routes);
    for (let i = 0; i < 5; i++) expect(await version(routes.listen)).toEqual({ version: 'blue', role: 'stable' });
    for (let i = 0; i < 7; i++) expect(await version(routes.preview!.listen)).toEqual({ version: 'green', role: 'canary' });

    const provider = new BuiltinProvider(proxy);
    const windows = withPreviewWindows(provider, previewService);
    const w = windows.window('shop', 0, Date.now() + 1000)!;
    expect(w.canary.requests).toBe(7);
    expect(w.stable.requests).toBe(5);
  });

  it('closes the preview listener when the routes drop it (a rollback or the switch), and on finalize', async () => {
    await router.setRoutes('shop', { ...routes, preview: undefined });
    const { preview: _p, ...withoutPreview } = routes;
    expect(await router.getRoutes('shop')).toEqual(withoutPreview);
    const fresh = new Agent();
    await expect(request(`http://${routes.preview!.listen}/x`, { dispatcher: fresh })).rejects.toThrow(/ECONNREFUSED/);
    await fresh.close();
    await router.setRoutes('shop', routes);
    expect((await version(routes.preview!.listen)).version).toBe('green');
    await router.finalize('shop');
    expect(await router.getRoutes('shop')).toBeUndefined();
    expect(proxy.getRoutes(previewService('shop'))).toBeUndefined();
  });
});
