import { describe, expect, it } from 'vitest';
import type { RolloutView } from '../server/views.js';
import { heldLines, statusLine } from './render.js';

/** What `sluice status` and piped `--watch` say about a closed gate; only the fields they read. */
const view = (hooks: NonNullable<RolloutView['heldBy']>['hooks']) =>
  ({
    name: 'bg',
    phase: 'paused',
    message: 'paused',
    canaryWeight: 0,
    step: { index: 1, total: 2, percent: 50 },
    routes: { listen: '127.0.0.1:8080', stable: [], canary: [], canaryWeight: 0 },
    rollout: { spec: {} },
    heldBy: { phase: 'confirm-promotion', since: '2026-11-26T20:46:39.000Z', hooks },
  }) as unknown as RolloutView;

describe('a closed gate in status', () => {
  const now = Date.parse('2026-11-26T20:47:09.000Z');

  it('names the hook and its last answer', () => {
    const lines = heldLines(view([{ name: 'release-board', asked: 2, answer: { ok: false, status: 503, message: 'answered 503: change freeze' } }]), now);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/held since \S+ \(30s\) by the confirm-promotion hook release-board: answered 503: change freeze \(asked 2 times\)$/);
    expect(statusLine(view([{ name: 'release-board', asked: 2, answer: { ok: false, status: 503, message: 'x' } }]))).toContain('by release-board (503) |');
  });

  it('says no hook is being asked rather than listing nobody', () => {
    expect(heldLines(view([]), now)).toEqual([expect.stringMatching(/by the confirm-promotion hooks \(none being asked now\)$/)]);
    expect(statusLine(view([]))).toContain('by the confirm-promotion hooks (none being asked now) |');
  });
});
