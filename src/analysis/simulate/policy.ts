import { argoPolicy, ARGO_POLICY } from './argo-policy.js';
import type { ArgoPolicyOptions } from './argo-policy.js';
import { flaggerPolicy, FLAGGER_POLICY } from './flagger-policy.js';
import type { FlaggerPolicyOptions } from './flagger-policy.js';
import { sluicePolicy, SLUICE_POLICY } from './sluice-policy.js';
import type { SluicePolicyOptions } from './sluice-policy.js';
import type { Policy } from './types.js';

export type PolicyOptions = SluicePolicyOptions | FlaggerPolicyOptions | ArgoPolicyOptions;

/** Builds a simulated policy from its `type`; an unknown type is an error, never a fallback. */
export function createPolicy(options: PolicyOptions): Policy {
  switch (options.type) {
    case SLUICE_POLICY:
      return sluicePolicy(options);
    case FLAGGER_POLICY:
      return flaggerPolicy(options);
    case ARGO_POLICY:
      return argoPolicy(options);
    default: {
      const type = (options as { type?: unknown }).type;
      throw new RangeError(
        `unknown policy type ${JSON.stringify(type)}; use one of "${SLUICE_POLICY}", "${FLAGGER_POLICY}", "${ARGO_POLICY}"`,
      );
    }
  }
}
