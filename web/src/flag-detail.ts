import { ApiError, type Api } from './api.js';
import { h, fill } from './dom.js';
import { FlagControls } from './flag-controls.js';
import { rulesPanel, servingPanel, variantsTable } from './flag-definition.js';
import { FlagHistory } from './flag-history.js';
import { flagRolloutOf, rolloutsOfFlag } from './flag-rollout.js';
import { percent } from '../../src/flags/words.js';
import { dateTime, phaseLabel, TERMINAL } from './format.js';
import type { Model, ModelChange } from './model.js';
import { flagsHref, rolloutHref } from './routes.js';
import type { FlagSetRecord, FlagView, RolloutView, Segment } from './types.js';

/**
 * One flag: on/off, what it serves and to whom (split, bucketing), its
 * variants, its targeting rules in order, the guarded rollout driving it,
 * the operator's controls and who changed what. Reloads itself when the
 * stream says the flag (or its environment's segments) changed.
 */
export class FlagDetail {
  readonly el: HTMLElement;
  private readonly state = h('span', { class: 'flag-state', id: 'flag-state' });
  private readonly meta = h('span', { class: 'revision', id: 'flag-meta' });
  private readonly lastChange = h('span', { class: 'revision', id: 'flag-last-change' });
  private readonly description = h('p', { class: 'message', id: 'flag-description' });
  private readonly guard = h('div', { class: 'guarded', id: 'flag-guard' });
  private readonly definition = h('div', { class: 'flag-definition' });
  private readonly controls: FlagControls | undefined;
  private readonly history: FlagHistory;
  private readonly unsubscribe: () => void;
  private flag: FlagView | undefined;
  private segments: { of: string; version: number; segments: Record<string, Segment> } | undefined;
  private loading: Promise<void> | undefined;
  private again = false;

  constructor(
    private readonly model: Model,
    private readonly api: Api,
    private readonly environment: string,
    private readonly key: string,
    canOperate: boolean,
  ) {
    this.controls = canOperate ? new FlagControls(api, environment, key, (f) => {
          this.show(f);
          void this.reload();
        }) : undefined;
    this.history = new FlagHistory(api, environment, key);
    this.el = h(
      'section',
      { class: 'flag-detail', 'aria-labelledby': 'flag-heading', 'data-flag': key, 'data-environment': environment },
      h('p', { class: 'crumbs' }, h('a', { href: flagsHref(environment) }, `← Flags in ${environment}`)),
      h('header', { class: 'detail-head' }, h('h2', { id: 'flag-heading' }, key), this.state, this.meta, this.lastChange),
      this.description,
      this.guard,
      this.controls?.el,
      this.definition,
      this.history.el,
    );
    this.unsubscribe = model.subscribe((c) => this.onChange(c));
    this.renderGuard();
    void this.reload();
  }

  destroy(): void {
    this.unsubscribe();
  }

  private onChange(c: ModelChange): void {
    if (c.kind === 'rollout' || c.kind === 'gone') {
      const v = this.model.rollouts.get(c.name);
      if (!v || (v.rollout.spec.flag?.environment === this.environment && v.rollout.spec.flag.key === this.key)) this.renderGuard();
    } else if (c.kind === 'flags' && (c.environment === undefined || (c.environment === this.environment && (c.keys?.includes(this.key) || c.keys?.length === 0)))) {
      // A streamed change of this flag or of its environment's segments, or a full load after the stream (re)connected.
      void this.reload();
    }
  }

  /** Loads the flag, the segments its rules name and the new history; calls made meanwhile fold into one more. */
  private reload(): Promise<void> {
    if (this.loading) {
      this.again = true;
      return this.loading;
    }
    this.loading = this.load().finally(() => {
      this.loading = undefined;
      if (this.again) {
        this.again = false;
        void this.reload();
      }
    });
    return this.loading;
  }

  private async load(): Promise<void> {
    const path = `/flags/${encodeURIComponent(this.environment)}/${encodeURIComponent(this.key)}`;
    try {
      const flag = await this.api.get<FlagView>(path);
      const named = flag.definition.rules.some((r) => r.conditions.some((c) => 'segment' in c));
      if (named && (this.segments?.of !== flag.flagSet || this.segments.version !== flag.version)) {
        const set = await this.api.get<FlagSetRecord>(`/flagsets/${encodeURIComponent(this.environment)}/${encodeURIComponent(flag.flagSet)}`);
        this.segments = { of: set.name, version: set.version, segments: set.flagSet.spec.segments };
      }
      this.show(flag);
    } catch (err) {
      this.flag = undefined;
      if (this.controls) this.controls.el.hidden = true;
      const gone = err instanceof ApiError && err.status === 404;
      this.state.className = 'flag-state';
      this.state.textContent = gone ? 'deleted' : '';
      fill(this.definition, h('p', { class: 'error', role: 'alert' }, gone ? `There is no flag "${this.key}" in environment "${this.environment}" (now). Its history, if any, is below.` : `Could not load the flag: ${(err as Error).message}`));
    }
    await this.history.refresh();
    const last = this.history.last;
    this.lastChange.textContent = last ? `last changed ${dateTime(last.time)} by ${last.actor}` : '';
  }

  private show(flag: FlagView): void {
    this.flag = flag;
    const def = flag.definition;
    this.state.className = `flag-state ${def.enabled ? 'on' : 'off'}`;
    this.state.textContent = def.enabled ? 'on' : 'off';
    this.meta.textContent = `${flag.environment} · flag set ${flag.flagSet} · ${def.type}`;
    this.description.textContent = def.description ?? '';
    this.description.hidden = !def.description;
    if (this.controls) {
      this.controls.el.hidden = false;
      this.controls.update(flag);
    }
    const segments = this.segments?.of === flag.flagSet ? this.segments.segments : undefined;
    fill(this.definition, servingPanel(def), h('div', { class: 'columns' }, variantsTable(def), rulesPanel(def, segments)));
  }

  /** The guarded rollouts of this flag: a live one sets the share at each step, whatever was set by hand. */
  private renderGuard(): void {
    const live = (v: RolloutView) => !TERMINAL.includes(v.phase);
    const rollouts = rolloutsOfFlag(this.model.rollouts.values(), this.environment, this.key, live);
    this.guard.hidden = rollouts.length === 0;
    const driving = rollouts.find(live);
    fill(
      this.guard,
      h('h3', null, driving ? 'Driven by a guarded rollout' : 'Guarded rollouts'),
      h(
        'ul',
        null,
        rollouts.map((v) => {
          const f = flagRolloutOf(v)!;
          return h('li', { 'data-rollout': v.name }, 'Rollout ', h('a', { href: rolloutHref(v.name) }, v.name), ' ', h('span', { class: `phase ${v.phase}` }, phaseLabel(v.phase, v.pauseReason)), `: ${f.variant} served to ${percent(f.share)} of users. ${v.message}`);
        }),
      ),
      driving
        ? h('p', { class: 'help' }, `Its steps set the share of users served "${driving.rollout.spec.flag!.variant}", and only it changes the split while it runs: a percentage set here is refused. Turning the flag off always works (a kill switch): the rollout then holds until the flag is on again. Pause, abort or promote the rollout to take the split over.`)
        : null,
    );
  }
}
