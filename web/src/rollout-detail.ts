import type { Api } from './api.js';
import { LineChart } from './chart.js';
import { Controls } from './controls.js';
import { DecisionLog } from './decisions.js';
import { h, fill } from './dom.js';
import { explainCheck, explainJudge } from './explain.js';
import { dateTime, describeStep, ms, num, pct, phaseLabel, TERMINAL } from './format.js';
import { flagRolloutOf, flagTargetText, sidesOf, type FlagRollout } from './flag-rollout.js';
import { percent } from '../../src/flags/words.js';
import type { Model, ModelChange } from './model.js';
import { flagHref } from './routes.js';
import type { RolloutView } from './types.js';

/**
 * One rollout: where it is (phase, traffic split, steps), live charts of
 * canary against stable with decision markers, the operator's commands, the
 * current analysis, every decision with its numbers, and past revisions.
 */
export class RolloutDetail {
  readonly el: HTMLElement;
  private readonly phase = h('span', { class: 'phase', id: 'rollout-phase' });
  private readonly revision = h('span', { class: 'revision' });
  private readonly target = h('p', { class: 'target', id: 'rollout-target' });
  private readonly chartsHeading = h('h3', { id: 'charts-heading' }, 'Canary against stable');
  private readonly legend = h('p', { class: 'legend' });
  private readonly message = h('p', { class: 'message', id: 'rollout-message', 'aria-live': 'polite' });
  private readonly split = h('div', { class: 'split', id: 'traffic-split' });
  private readonly steps = h('ol', { class: 'steps', 'aria-label': 'Steps' });
  private readonly analysis = h('div', { class: 'analysis' });
  private readonly charts: LineChart[];
  private readonly controls: Controls | undefined;
  private readonly log: DecisionLog;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly model: Model,
    api: Api,
    private readonly name: string,
    canOperate: boolean,
  ) {
    this.charts = [
      new LineChart({ title: 'Request rate (rps)', value: (l) => ({ stable: l.stable.rps, canary: l.canary.rps }), format: (v) => `${num(v)} rps`, minMax: 1 }),
      // No requests means no error rate, not 0%: leave a gap.
      new LineChart({ title: 'Error rate (%)', value: (l) => ({ stable: l.stable.requests ? l.stable.errorRate : undefined, canary: l.canary.requests ? l.canary.errorRate : undefined }), format: (v) => pct(v), minMax: 1 }),
      new LineChart({ title: 'Latency p99 (ms)', value: (l) => ({ stable: l.stable.p99, canary: l.canary.p99 }), format: (v) => ms(v), minMax: 10 }),
    ];
    this.controls = canOperate ? new Controls(api, name, (v) => model.setRollout(v)) : undefined;
    this.log = new DecisionLog(api, name, () => {
      const view = model.rollouts.get(name);
      return sidesOf(view ? flagRolloutOf(view) : undefined);
    });
    this.el = h(
      'section',
      { class: 'rollout-detail', 'aria-labelledby': 'detail-heading', 'data-rollout': name },
      h('header', { class: 'detail-head' }, h('h2', { id: 'detail-heading' }, name), this.phase, this.revision),
      this.target,
      this.message,
      this.split,
      this.controls?.el,
      h('div', { class: 'columns' }, h('section', { class: 'panel', 'aria-labelledby': 'steps-heading' }, h('h3', { id: 'steps-heading' }, 'Steps'), this.steps), h('section', { class: 'panel', 'aria-labelledby': 'analysis-heading' }, h('h3', { id: 'analysis-heading' }, 'Current analysis'), this.analysis)),
      h('section', { class: 'panel', 'aria-labelledby': 'charts-heading' }, this.chartsHeading, this.legend, h('div', { class: 'charts' }, this.charts.map((c) => c.el))),
      this.log.el,
      this.log.historyEl,
    );
    this.unsubscribe = model.subscribe((c) => this.onChange(c));
    const view = model.rollouts.get(name);
    this.renderSides(view ? flagRolloutOf(view) : undefined);
    if (view) this.render(view);
    this.log.add(model.decisions.get(name) ?? []);
    this.drawCharts();
    void this.log.load().then(() => this.drawCharts());
  }

  destroy(): void {
    this.unsubscribe();
  }

  private onChange(c: ModelChange): void {
    if (c.kind === 'flags' || c.name !== this.name) return;
    if (c.kind === 'rollout') this.render(this.model.rollouts.get(this.name)!);
    else if (c.kind === 'metrics') this.drawCharts();
    else if (c.kind === 'decision' && this.log.add([c.event])) this.drawCharts();
    else if (c.kind === 'gone') fill(this.message, 'This rollout was deleted; its history is kept.');
  }

  private drawCharts(): void {
    const points = this.model.series.get(this.name) ?? [];
    // The server's clock, not the browser's: points and markers carry server times.
    const now = points.length ? points[points.length - 1]!.t : Date.now();
    const markers = this.log.markers();
    for (const c of this.charts) c.update(points, markers, now);
  }

  private render(v: RolloutView): void {
    this.phase.className = `phase ${v.phase}`;
    this.phase.textContent = phaseLabel(v.phase, v.pauseReason);
    this.revision.textContent = `revision ${v.revision} · started ${dateTime(v.startedAt)}${v.finishedAt ? ` · finished ${dateTime(v.finishedAt)}` : ''}`;
    this.message.textContent = v.message;
    const flag = flagRolloutOf(v);
    this.renderSides(flag);
    // A guarded flag rollout has no listener: its "canary" is the users served a variant of its flag.
    fill(this.target, flag ? h('a', { href: flagHref(flag.environment, flag.key) }, flagTargetText(flag)) : v.routes.listen ? `listen ${v.routes.listen}` : '');
    const canary = flag ? flag.share : v.routes.canaryWeight ?? v.canaryWeight;
    const sides = flag ? { stable: `everyone else (${flag.restSide})`, canary: flag.variantSide } : { stable: 'stable', canary: 'canary' };
    const bar = h('div', { class: 'split-bar', role: 'img', 'aria-label': `${sides.stable} ${percent(100 - canary)}, ${sides.canary} ${percent(canary)}` }, h('span', { class: 'stable' }), h('span', { class: 'canary' }));
    (bar.lastElementChild as HTMLElement).style.setProperty('width', `${canary}%`);
    (bar.firstElementChild as HTMLElement).style.setProperty('width', `${100 - canary}%`);
    const confirmed = v.routesConfirmed ? (flag ? ' (confirmed by the flag)' : ' (confirmed by the data plane)') : ' (being applied)';
    fill(
      this.split,
      h(
        'p',
        { class: 'split-text' },
        flag ? `Users: ${flag.variantSide} ${percent(canary)} · everyone else ${percent(100 - canary)}` : `Traffic: stable ${100 - canary}% · canary ${canary}%`,
        h('span', { class: v.routesConfirmed ? 'confirmed' : 'pending' }, confirmed),
      ),
      bar,
    );
    this.controls?.update(v);
    this.renderSteps(v);
    const named = sidesOf(flag);
    const parts = [v.lastCheck ? explainCheck(v.lastCheck, named) : null, v.judge ? explainJudge({ errors: v.judge.errors, latency: v.judge.latency }, undefined, named) : null].filter((x) => x !== null);
    if (v.judge) {
      const failed = v.judge.errors?.verdict === 'fail' || v.judge.latency?.verdict === 'fail';
      const said = failed ? `failed ${named.judged}` : v.judge.passed ? `passed ${named.judged}` : TERMINAL.includes(v.phase) ? 'did not decide' : 'still deciding';
      parts.unshift(h('p', null, `Sequential judge: ${said}; ${v.judge.stepEvents} errors seen at this step.`));
    }
    fill(this.analysis, parts.length ? parts : h('p', { class: 'empty' }, v.rollout.spec.analysis ? 'No check has run yet.' : 'No analysis configured: steps advance on time and gates alone.'));
  }

  /** Names the two sides: stable and canary, or a flag rollout's everyone else and users on the variant. */
  private renderSides(flag: FlagRollout | undefined): void {
    const labels = flag ? { stable: 'everyone else', canary: flag.variantSide } : { stable: 'stable', canary: 'canary' };
    for (const c of this.charts) c.labels = labels;
    this.chartsHeading.textContent = flag ? `Users on ${flag.variantSide} against everyone else (as the application tracks them)` : 'Canary against stable';
    fill(this.legend, h('span', { class: 'key stable' }, flag ? `everyone else (${flag.restSide})` : 'stable'), h('span', { class: 'key canary' }, labels.canary), h('span', { class: 'key marker' }, 'decision'));
  }

  private renderSteps(v: RolloutView): void {
    const steps = v.rollout.spec.steps;
    const ended = TERMINAL.includes(v.phase);
    fill(
      this.steps,
      steps.map((s, i) => {
        const state = v.phase === 'promoted' || i < v.step.index ? 'done' : i === v.step.index ? (ended ? 'stopped' : 'current') : 'todo';
        return h(
          'li',
          { class: `step ${state}`, 'data-state': state, ...(state === 'current' ? { 'aria-current': 'step' } : {}) },
          h('span', { class: 'step-text' }, describeStep(s, v.rollout.spec.flag)),
          h('span', { class: 'step-state' }, { todo: '', done: '✓ done', current: '◀ current', stopped: '✕ stopped here' }[state]),
        );
      }),
    );
  }
}
