import { formatDuration } from '../spec/duration.js';
import type { RolloutView, VersionLive } from '../server/views.js';
import type { StoredEvent } from '../store/store.js';
import { isFlagListen } from '../flags/guarded.js';

/** How the CLI prints: a redrawn block on a terminal, plain lines when piped, JSON for programs. */
export type OutputMode = 'tty' | 'plain' | 'json';

export function outputMode(requested: string | undefined, stream: { isTTY?: boolean } = process.stdout): OutputMode {
  if (requested === 'json') return 'json';
  if (requested === 'text' || requested === undefined) return stream.isTTY && !process.env.NO_COLOR ? 'tty' : 'plain';
  throw new Error(`--output must be "text" or "json", got "${requested}"`);
}

export function progressBar(percent: number, width = 30): string {
  const filled = Math.round((Math.max(0, Math.min(100, percent)) / 100) * width);
  return '[' + '█'.repeat(filled) + '░'.repeat(width - filled) + `] ${Math.round(percent)}%`;
}

export function describeStep(v: RolloutView): string {
  const step = v.step.current;
  if (!step) return 'all steps done';
  if ('setWeight' in step) return `setWeight ${step.setWeight}`;
  if ('pause' in step) return step.pause.duration === undefined ? 'pause (manual gate)' : `pause ${formatDuration(step.pause.duration)}`;
  return `analysis (${step.analysis.checks} passing check${step.analysis.checks === 1 ? '' : 's'})`;
}

function stepLabel(v: RolloutView): string {
  return `step ${Math.min(v.step.index + 1, v.step.total)}/${v.step.total}`;
}

function fmtVersion(v: VersionLive | undefined, tracked = false): string {
  if (!v) return tracked ? 'nothing tracked yet' : 'no traffic measured';
  return `${v.rps.toFixed(1)} ${tracked ? 'tracked req/s' : 'rps'}, ${v.errorRate.toFixed(2)}% errors, p99 ${v.p99 === undefined ? '–' : v.p99.toFixed(1) + ' ms'}`;
}

/** A guarded flag rollout's two sides, named by flag and variant (routes encoded as in flags/guarded.ts). */
function flagLabels(v: RolloutView): { canary: string; stable: string; width: number; share: number } | undefined {
  if (!isFlagListen(v.routes.listen)) return undefined;
  const variant = [...v.routes.canary, ...v.routes.stable].find((u) => u.includes('=') && !u.includes('!=')) ?? 'variant';
  const canary = variant;
  const stable = variant.replace('=', '!=');
  // Once promoted, the variant is the "stable" side and has everyone the weight leaves.
  const share = v.routes.canary.includes(variant) ? v.canaryWeight : 100 - v.canaryWeight;
  return { canary, stable, width: Math.max(canary.length, stable.length), share };
}

/** The multi-line block `status` prints (and redraws on a terminal). */
export function statusBlock(v: RolloutView, color: boolean): string {
  const phaseColor = color ? PHASE_COLOR[v.phase] ?? '' : '';
  const reset = color ? '\x1b[0m' : '';
  const flag = flagLabels(v);
  const lines = [
    `${v.name}  revision ${v.revision}  ${phaseColor}${v.phase}${v.pauseReason ? ` (${v.pauseReason})` : ''}${reset}  ${stepLabel(v)}: ${describeStep(v)}`,
    flag
      ? `  ${progressBar(v.step.percent)}  ${flag.canary} ${v.routesConfirmed ? `served to ${flag.share}% of users` : `set to ${flag.share}% of users, NOT confirmed by the flag (switched off by hand, or still being applied: \`sluice history ${v.name}\` says which)`}`
      : `  ${progressBar(v.step.percent)}  canary weight ${v.canaryWeight}%${v.routesConfirmed ? '' : '  (routes not yet confirmed by the data plane)'}`,
    `  ${flag ? `${flag.stable.padEnd(flag.width)} ` : 'stable  '}${fmtVersion(v.live?.stable, flag !== undefined)}`,
    `  ${flag ? `${flag.canary.padEnd(flag.width)} ` : 'canary  '}${fmtVersion(v.live?.canary, flag !== undefined)}`,
    `  ${v.message}`,
    ...heldLines(v, Date.now()),
  ];
  if (v.lastCheck) lines.push(`  last check: ${v.lastCheck.summary}`);
  if (v.judge) {
    const state = v.judge.passed ? 'passed' : 'watching';
    lines.push(`  judge (${state}): ${v.judge.errors?.reason ?? 'no requests judged yet'}`);
    if (v.judge.latency) lines.push(`  judge latency: ${v.judge.latency.reason}`);
  }
  return lines.join('\n');
}

/**
 * Which hooks hold the rollout, since when and what each last answered: one
 * line for one hook, a line per hook for several. Empty when nothing holds it.
 */
export function heldLines(v: RolloutView, now: number): string[] {
  const held = v.heldBy;
  if (!held) return [];
  const since = Date.parse(held.since);
  const head = `held since ${time(since)} (${formatDuration(Math.max(0, Math.round((now - since) / 1000)) * 1000)}) by the ${held.phase} hook`;
  const answer = (h: (typeof held.hooks)[number]) => {
    const asked = h.asked > 1 ? ` (asked ${h.asked} times)` : '';
    return h.answer ? `${h.answer.message}${asked}` : 'no answer yet';
  };
  // The gate stays closed while none of its hooks is being asked (e.g. while the rollout is paused): say so rather than list nobody.
  if (held.hooks.length === 0) return [`  ${head}s (none being asked now)`];
  if (held.hooks.length === 1) return [`  ${head} ${held.hooks[0]!.name}: ${answer(held.hooks[0]!)}`];
  return [`  ${head}s ${held.hooks.map((h) => h.name).join(', ')}:`, ...held.hooks.map((h) => `    ${h.name}: ${answer(h)}`)];
}

/** One line for piped output. */
export function statusLine(v: RolloutView): string {
  const by = (hooks: NonNullable<RolloutView['heldBy']>['hooks']) => hooks.map((h) => `${h.name} (${h.answer?.status ?? (h.answer ? 'error' : 'no answer yet')})`).join(', ');
  const held = v.heldBy ? ` | held since ${time(Date.parse(v.heldBy.since))} by ${v.heldBy.hooks.length ? by(v.heldBy.hooks) : `the ${v.heldBy.phase} hooks (none being asked now)`}` : '';
  return `${time(Date.now())} ${v.name} ${v.phase} ${stepLabel(v)} ${flagLabels(v) ? `users=${flagLabels(v)!.share}` : `weight=${v.canaryWeight}`}% progress=${Math.round(v.step.percent)}% | stable ${fmtVersion(v.live?.stable)} | canary ${fmtVersion(v.live?.canary)}${held} | ${v.message}`;
}

export function eventLine(e: StoredEvent): string {
  const who = e.actor && !e.message.includes(e.actor) ? ` (by ${e.actor})` : '';
  return `${time(e.time)} [${e.type}] ${e.message}${who}`;
}

export function rolloutTable(rows: RolloutView[]): string {
  const header = ['NAME', 'REVISION', 'PHASE', 'STEP', 'WEIGHT', 'LISTEN', 'MESSAGE'];
  const body = rows.map((v) => [v.name, String(v.revision), v.phase, stepLabel(v), `${flagLabels(v)?.share ?? v.canaryWeight}%${flagLabels(v) ? ' users' : ''}`, v.routes.listen, v.message]);
  return table([header, ...body]);
}

export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
}

function time(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}


const PHASE_COLOR: Record<string, string> = {
  progressing: '\x1b[36m',
  paused: '\x1b[33m',
  promoted: '\x1b[32m',
  'rolled-back': '\x1b[31m',
  aborted: '\x1b[31m',
};
