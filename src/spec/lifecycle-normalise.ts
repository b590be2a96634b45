import type { RolloutInput } from './rollout-schema.js';
import type { HookSpec, NotificationSpec } from './lifecycle-types.js';
import type { RolloutSpec } from './types.js';

type Lifecycle = Pick<RolloutSpec, 'hooks' | 'notifications' | 'postPromotion' | 'undoWindow' | 'progressDeadline'>;

/** The lifecycle fields of a validated spec, normalised: absent when not written, load hooks aimed at the service by default. */
export function normaliseLifecycle(spec: RolloutInput['spec']): Lifecycle {
  const out: Lifecycle = {};
  if (spec.hooks) {
    out.hooks = spec.hooks.map((h): HookSpec => ({
      name: h.name,
      type: h.type,
      // A flag rollout has no listen address: validation requires a load hook's url there.
      url: h.url ?? `http://${spec.service?.listen ?? ''}/`,
      timeout: h.timeout,
      retries: h.retries,
      ...(h.metadata ? { metadata: h.metadata } : {}),
      ...(h.rps !== undefined ? { rps: h.rps } : {}),
      ...(h.duration !== undefined ? { duration: h.duration } : {}),
    }));
  }
  if (spec.notifications) {
    out.notifications = spec.notifications.map((n): NotificationSpec => ({
      name: n.name,
      type: n.type,
      url: n.url,
      on: [...new Set(n.on)],
      ...(n.secretEnv !== undefined ? { secretEnv: n.secretEnv } : {}),
      timeout: n.timeout,
    }));
  }
  const post = spec.strategy.canary?.postPromotionAnalysis;
  if (post) out.postPromotion = { duration: post.duration };
  if (spec.undoWindow !== undefined) out.undoWindow = spec.undoWindow;
  if (spec.progressDeadline !== undefined) out.progressDeadline = spec.progressDeadline;
  return out;
}
