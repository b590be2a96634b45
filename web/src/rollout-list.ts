import { h, fill } from './dom.js';
import { flagRolloutOf, flagTargetText } from './flag-rollout.js';
import { percent } from '../../src/flags/words.js';
import { dateTime, phaseLabel } from './format.js';
import { rolloutHref } from './routes.js';
import type { RolloutView } from './types.js';

/**
 * Every rollout with its phase and progress. Rows are keyed by name and
 * updated in place (never rebuilt), so focus and scroll survive live updates.
 */
export class RolloutList {
  readonly el: HTMLElement;
  private readonly body: HTMLTableSectionElement;
  private readonly empty: HTMLElement;
  private readonly rows = new Map<string, HTMLTableRowElement>();
  /** Names of the listed guarded flag rollouts, whose weight is a share of users, not of traffic. */
  private readonly flagRollouts = new Set<string>();
  private readonly weightHeading = h('th', { scope: 'col', class: 'n' }, 'Canary');
  private selected: string | undefined;

  constructor() {
    this.body = h('tbody');
    this.empty = h('p', { class: 'empty' }, 'No rollouts yet. Start one with ', h('code', null, 'sluice apply -f rollout.yaml'), '.');
    this.el = h(
      'section',
      { class: 'rollout-list', 'aria-labelledby': 'rollouts-heading' },
      h('h2', { id: 'rollouts-heading' }, 'Rollouts'),
      h(
        'table',
        { class: 'data' },
        h('thead', null, h('tr', null, ['Rollout', 'Phase', 'Progress'].map((t) => h('th', { scope: 'col' }, t)), this.weightHeading)),
        this.body,
      ),
      this.empty,
    );
  }

  update(view: RolloutView): void {
    let row = this.rows.get(view.name);
    if (!row) {
      row = this.createRow(view.name);
      this.rows.set(view.name, row);
      const after = [...this.rows.keys()].filter((n) => n > view.name).sort()[0];
      this.body.insertBefore(row, after === undefined ? null : this.rows.get(after)!);
    }
    const [nameCell, phaseCell, progressCell, weightCell] = [...row.cells];
    nameCell!.querySelector('.revision')!.textContent = ` rev ${view.revision}`;
    // A guarded flag rollout has no listener: it names its flag, and its weight is a share of users.
    const flag = flagRolloutOf(view);
    nameCell!.querySelector('.target')!.textContent = flag ? flagTargetText(flag) : view.routes.listen ?? '';
    fill(phaseCell!, h('span', { class: `phase ${view.phase}` }, phaseLabel(view.phase, view.pauseReason)));
    progressCell!.querySelector('progress')!.value = view.step.percent;
    progressCell!.querySelector('.step')!.textContent = `step ${Math.min(view.step.index + 1, view.step.total)}/${view.step.total}`;
    fill(weightCell!, flag ? [percent(flag.share), h('span', { class: 'unit' }, 'of users')] : `${view.canaryWeight}%`);
    weightCell!.title = flag ? `${flag.variantSide} served to ${percent(flag.share)} of users` : 'canary weight';
    row.title = `${view.message} (updated ${dateTime(view.updatedAt)})`;
    if (flag) this.flagRollouts.add(view.name);
    else this.flagRollouts.delete(view.name);
    this.listed();
  }

  /** The weight column says what its numbers are shares of: canary traffic, users, or both. */
  private listed(): void {
    this.empty.hidden = this.rows.size > 0;
    const flags = this.flagRollouts.size;
    this.weightHeading.textContent = flags === 0 ? 'Canary' : flags === this.rows.size ? 'Users' : 'Canary / users';
    this.weightHeading.title = flags === 0 ? 'share of traffic sent to the canary' : flags === this.rows.size ? 'share of users served the variant' : 'share of traffic sent to the canary, or of users served a flag variant';
  }

  private createRow(name: string): HTMLTableRowElement {
    const selected = name === this.selected;
    return h(
      'tr',
      { 'data-rollout': name, class: selected ? 'selected' : null },
      h('th', { scope: 'row' }, h('a', { href: rolloutHref(name), 'aria-current': selected ? 'page' : null }, name), h('span', { class: 'revision' }), h('span', { class: 'target' })),
      h('td'),
      h('td', { class: 'progress-cell' }, h('progress', { max: 100, value: 0, 'aria-label': `${name} progress` }), h('span', { class: 'step' })),
      h('td', { class: 'n' }),
    );
  }

  remove(name: string): void {
    this.rows.get(name)?.remove();
    this.rows.delete(name);
    this.flagRollouts.delete(name);
    this.listed();
  }

  select(name: string | undefined): void {
    this.selected = name;
    for (const [n, row] of this.rows) {
      row.classList.toggle('selected', n === name);
      const a = row.querySelector('a');
      if (n === name) a?.setAttribute('aria-current', 'page');
      else a?.removeAttribute('aria-current');
    }
  }
}
