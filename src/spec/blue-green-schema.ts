import { object, optional, required, type Infer, type Report } from './schema.js';
import { hostPort } from './address-fields.js';
import { integer, string } from './schema-scalars.js';
import { postPromotionAnalysis } from './lifecycle-schema.js';
import type { CanaryStep, RolloutSpec } from './types.js';
import type { MatchRule } from '../routers/routing.js';

/**
 * `strategy.blueGreen` (Argo Rollouts' blue-green): the new version gets no
 * user traffic, only a preview route; pre-promotion analysis and hooks run
 * against it; after a timer or a person's promote all traffic moves at once;
 * a post-promotion window may switch it back. Normalised into what the engine
 * already knows: a header match rule for the preview, steps at weight 0, and
 * spec.postPromotion for the window.
 */

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

const previewHeader = object(
  {
    name: required(string({ description: 'request header that selects the preview', expected: 'an HTTP header name such as x-preview', pattern: TOKEN, maxLength: 256, normalise: (v) => v.toLowerCase() })),
    value: required(string({ description: 'the value it must have', expected: 'a header value such as "1"', maxLength: 4096 })),
  },
  { description: 'requests carrying this header with this exact value reach the new version; everyone else stays on the current one' },
);

export const blueGreen = object(
  {
    previewHeader: optional(previewHeader),
    previewListen: optional(hostPort('a second address where every request goes to the new version (a preview listener of its own)', '127.0.0.1:8081')),
    autoPromotionSeconds: optional(integer({ description: 'promote this long after the preview is up (and its analysis passed); without it a person promotes (sluice promote, or the approve link)', min: 1, max: 7 * 24 * 3600 })),
    prePromotionAnalysis: optional(object(
      { checks: required(integer({ description: 'analysis checks that must pass on the preview traffic (a failed check starts the count again)', min: 1 })) },
      { description: 'judge the preview traffic with spec.analysis before promotion' },
    )),
    postPromotionAnalysis: optional(postPromotionAnalysis),
  },
  {
    description: 'the blue-green strategy: a preview of the new version, then all traffic at once',
    check: checkPreview,
    jsonSchema: { oneOf: [{ required: ['previewHeader'] }, { required: ['previewListen'] }] },
  },
);

function checkPreview(_value: unknown, report: Report, raw: Readonly<Record<string, unknown>>): void {
  if (raw.previewHeader === undefined && raw.previewListen === undefined) {
    report([], 'value', 'needs "previewHeader" (requests with a header reach the new version) or "previewListen" (an address of its own for the preview)');
  } else if (raw.previewHeader !== undefined && raw.previewListen !== undefined) {
    report(['previewListen'], 'key', 'cannot be used together with "previewHeader"; choose one way to reach the preview');
  }
}

export type BlueGreenInput = Infer<typeof blueGreen>;

/** The steps and routing of a validated blue-green strategy. */
export function normaliseBlueGreen(bg: BlueGreenInput): Pick<RolloutSpec, 'steps' | 'match' | 'blueGreen' | 'postPromotion'> {
  const steps: CanaryStep[] = [
    ...(bg.prePromotionAnalysis ? [{ analysis: { checks: bg.prePromotionAnalysis.checks } }] : []),
    { pause: bg.autoPromotionSeconds === undefined ? {} : { duration: bg.autoPromotionSeconds * 1000 } },
  ];
  const header = bg.previewHeader;
  const match: MatchRule[] = header ? [{ headers: { [header.name]: { exact: header.value } } }] : [];
  return {
    steps,
    ...(match.length > 0 ? { match } : {}),
    blueGreen: header ? { previewHeader: { name: header.name, value: header.value } } : { previewListen: bg.previewListen! },
    ...(bg.postPromotionAnalysis ? { postPromotion: { duration: bg.postPromotionAnalysis.duration } } : {}),
  };
}
