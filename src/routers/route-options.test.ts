import { describe, expect, it } from 'vitest';
import { splitRoutes } from '../engine/draft.js';
import { parseRolloutDocuments } from '../spec/parse-rollout.js';
import { formatSpecError } from '../spec/spec-error.js';
import { RouterError } from './errors.js';
import { routeOptionsOf, routeOptionsProblem } from './route-options.js';
import type { Routes } from './router.js';
import { copyRoutes, sameRoutes, validateRoutes } from './validate.js';

const base: Routes = { listen: '127.0.0.1:8080', stable: ['http://127.0.0.1:9001'], canary: ['http://127.0.0.1:9002'], canaryWeight: 10 };

function rollout(serviceExtra: string) {
  const text = `apiVersion: sluice.dev/v1alpha1
kind: Rollout
metadata:
  name: checkout
spec:
  service:
    listen: 127.0.0.1:8080
    stable: {upstreams: [http://127.0.0.1:9001]}
    canary: {upstreams: [http://127.0.0.1:9002]}
${serviceExtra}  strategy:
    canary:
      steps: [{setWeight: 50}]
`;
  return parseRolloutDocuments(text, 'r.yaml');
}

describe('spec.service proxy settings → Routes', () => {
  it('carries timeouts (in ms), tls and retryToStable from the YAML into the routes the engine applies', () => {
    const { rollouts, errors } = rollout(`    timeouts: {connect: 2s, headers: 15s, idle: 1m, clientHeaders: 500ms}
    tls: {certFile: /etc/sluice/cert.pem, keyFile: /etc/sluice/key.pem}
    retryToStable: true
`);
    expect(errors.map(formatSpecError)).toEqual([]);
    const routes = splitRoutes(rollouts[0].spec, 25);
    expect(routes).toMatchObject({
      canaryWeight: 25,
      timeouts: { connectMs: 2_000, headersMs: 15_000, idleMs: 60_000, clientHeadersMs: 500 },
      tls: { certFile: '/etc/sluice/cert.pem', keyFile: '/etc/sluice/key.pem' },
      retryToStable: true,
    });
    expect(() => validateRoutes('checkout', routes)).not.toThrow();
  });

  it('leaves the keys out when the spec does not set them, so routes read back compare equal', () => {
    const { rollouts } = rollout('');
    const routes = splitRoutes(rollouts[0].spec, 0);
    expect(Object.keys(routes).sort()).toEqual(['canary', 'canaryWeight', 'listen', 'stable']);
    expect(routeOptionsOf({ ...rollouts[0].spec.service, timeouts: {} })).toEqual({});
  });

  it.each([
    ['    timeouts: {connect: 0s}\n', /spec\.service\.timeouts\.connect: must be greater than zero/],
    ['    timeouts: {read: 5s}\n', /spec\.service\.timeouts\.read: unknown field/],
    ['    tls: {certFile: /c.pem}\n', /spec\.service\.tls\.keyFile: missing required field/],
    ['    retryToStable: "yes"\n', /spec\.service\.retryToStable: must be true or false, got "yes"/],
  ])('rejects %j with an error naming the field', (extra, message) => {
    const { errors } = rollout(extra);
    expect(errors.map(formatSpecError).join('\n')).toMatch(message);
  });
});

describe('validating and copying route settings', () => {
  it.each([
    [{ timeouts: { connectMs: 0 } }, 'timeouts.connectMs must be a whole number of milliseconds from 1 to 2147483647, got 0'],
    [{ timeouts: { idleMs: 1.5 } }, 'timeouts.idleMs must be a whole number of milliseconds from 1 to 2147483647, got 1.5'],
    [{ timeouts: { readMs: 5 } }, 'timeouts.readMs is not a known timeout; use connectMs, headersMs, idleMs, clientHeadersMs'],
    [{ timeouts: 5 }, 'timeouts must be an object of millisecond values'],
    [{ tls: { certFile: 'c.pem' } }, 'tls must be {certFile, keyFile} with the paths of a PEM certificate and its private key'],
    [{ retryToStable: 'yes' }, 'retryToStable must be true or false, got "yes"'],
  ])('%j: %s', (extra, problem) => {
    const routes = { ...base, ...extra } as unknown as Routes;
    expect(routeOptionsProblem(routes)).toBe(problem);
    expect(() => validateRoutes('web', routes)).toThrow(RouterError);
    expect(() => validateRoutes('web', routes)).toThrow(`routes for service "web": ${problem}`);
  });

  it('copies settings deeply and compares them', () => {
    const routes: Routes = { ...base, timeouts: { connectMs: 100 }, tls: { certFile: 'c', keyFile: 'k' }, retryToStable: true };
    const copy = copyRoutes(routes);
    expect(copy).toEqual(routes);
    copy.timeouts!.connectMs = 200;
    expect(routes.timeouts!.connectMs).toBe(100);
    expect(sameRoutes(routes, copyRoutes(routes))).toBe(true);
    expect(sameRoutes(routes, copy)).toBe(false);
    expect(sameRoutes(routes, { ...routes, retryToStable: false })).toBe(false);
    expect(sameRoutes(routes, { ...routes, tls: { certFile: 'c2', keyFile: 'k' } })).toBe(false);
  });
});
