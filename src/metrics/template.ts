import type { MetricQuery } from './provider.js';

/**
 * Placeholders in provider queries, URLs and headers: `{{service}}` (the
 * rollout's name), `{{version}}` (stable or canary), `{{window}}` (the check
 * window as a PromQL duration, e.g. `30s`) and `{{listen}}` (the proxy's
 * host:port). spec/ rejects any other placeholder, so rendering never meets one.
 */

export const TEMPLATE_VARIABLES = ['service', 'version', 'window', 'listen'] as const;

export type TemplateVariable = (typeof TEMPLATE_VARIABLES)[number];
export type TemplateValues = Record<TemplateVariable, string>;

// Whitespace inside the braces is allowed: `{{ version }}`.
const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** The placeholders in `text` that are not template variables, in order of appearance (for validation). */
export function unknownPlaceholders(text: string): string[] {
  const known = new Set<string>(TEMPLATE_VARIABLES);
  const unknown: string[] = [];
  for (const m of text.matchAll(PLACEHOLDER)) {
    if (!known.has(m[1]!) && !unknown.includes(m[1]!)) unknown.push(m[1]!);
  }
  return unknown;
}

/** A validation message for `text`'s unknown placeholders, or undefined when all are known. */
export function checkTemplate(text: string): string | undefined {
  const unknown = unknownPlaceholders(text);
  if (unknown.length === 0) return undefined;
  const listed = unknown.map((u) => `{{${u}}}`).join(', ');
  const known = TEMPLATE_VARIABLES.map((v) => `{{${v}}}`).join(', ');
  return `unknown placeholder${unknown.length === 1 ? '' : 's'} ${listed}; the placeholders are ${known}`;
}

/** `text` with every placeholder replaced; an unknown one is left as written. */
export function renderTemplate(text: string, values: TemplateValues): string {
  return text.replace(PLACEHOLDER, (whole, name: string) =>
    Object.hasOwn(values, name) ? values[name as TemplateVariable] : whole,
  );
}

/** The values for one query: its service, version and window. */
export function templateValues(q: MetricQuery): TemplateValues {
  return { service: q.service, version: q.version, window: promDuration(q.to - q.from), listen: q.listen ?? '' };
}

/**
 * A window length as a PromQL duration: whole seconds as `30s`, anything
 * else in milliseconds (`1500ms`). Never below `1ms`.
 */
export function promDuration(ms: number): string {
  const whole = Math.max(1, Math.round(ms));
  return whole % 1000 === 0 ? `${whole / 1000}s` : `${whole}ms`;
}
