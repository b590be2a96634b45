import type { WindowSource } from './checks.js';

/**
 * Measures a blue-green preview listener as the canary: while the main
 * service sends the canary nothing, the canary's figures are those of the
 * preview service (where every request goes to the new version).
 */
export function withPreviewWindows(source: WindowSource, previewOf: (service: string) => string): WindowSource {
  return {
    window(service, from, to) {
      const main = source.window(service, from, to);
      if (main && main.canary.requests > 0) return main;
      const preview = source.window(previewOf(service), from, to);
      if (!preview || preview.canary.requests === 0) return main;
      return main ? { ...main, canary: preview.canary } : { ...preview, stable: { requests: 0, errors: 0 } };
    },
    mark(service) {
      source.mark?.(service);
      source.mark?.(previewOf(service));
    },
  };
}
