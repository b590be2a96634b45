import { h, fill } from './dom.js';
import { rolloutsOfFlag } from './flag-rollout.js';
import { servingText } from '../../src/flags/words.js';
import { dateTime, TERMINAL } from './format.js';
import type { Model } from './model.js';
import { flagHref, flagsHref, rolloutHref } from './routes.js';
import type { FlagSummary } from './types.js';

/** The API lists when a flag's set last changed; the flag's own changes are on its page. */
const SET_CHANGED = 'when its flag set last changed, and who changed it (the flag\'s own history is on its page)';

/**
 * One environment's flags: key, flag set, on/off, what everyone else is
 * served, how many rules, the last change, and the guarded rollout driving
 * it if any. Rows are keyed and updated in place as changes stream in; an
 * environment selector appears when there are several.
 */
export class FlagList {
  readonly el: HTMLElement;
  private readonly picker: HTMLElement;
  private readonly select: HTMLSelectElement;
  private readonly body: HTMLTableSectionElement;
  private readonly note: HTMLElement;
  private readonly rows = new Map<string, HTMLTableRowElement>();
  private shown: string | undefined;

  constructor(
    private readonly model: Model,
    private environment: string | undefined,
  ) {
    this.select = h('select', { id: 'flag-environment', onchange: () => (location.hash = flagsHref(this.select.value)) });
    this.picker = h('p', { class: 'environment-picker', hidden: true }, h('label', { for: 'flag-environment' }, 'Environment '), this.select);
    this.body = h('tbody');
    this.note = h('p', { class: 'empty' }, 'Loading flags…');
    this.el = h(
      'section',
      { class: 'flag-list panel', 'aria-labelledby': 'flags-heading' },
      h('h2', { id: 'flags-heading' }, 'Flags'),
      this.picker,
      h(
        'table',
        { class: 'data flags' },
        h('thead', null, h('tr', null, ['Flag', 'Flag set', 'State', 'Serving', 'Rules', 'Set changed', 'Guarded rollout'].map((t) => h('th', { scope: 'col', title: t === 'Set changed' ? SET_CHANGED : null }, t)))),
        this.body,
      ),
      this.note,
    );
    this.update();
  }

  /** The environment on screen: the one asked for, else the first that has flags. */
  get current(): string | undefined {
    const envs = this.model.environments();
    return this.environment ?? envs[0];
  }

  update(): void {
    const envs = this.model.environments();
    const env = this.current;
    const choices = env === undefined || envs.includes(env) ? envs : [...envs, env].sort();
    this.picker.hidden = choices.length < 2;
    fill(this.select, choices.map((e) => h('option', { value: e, selected: e === env }, e)));
    if (env !== this.shown) {
      this.body.replaceChildren();
      this.rows.clear();
      this.shown = env;
    }
    const flags = env === undefined ? [] : [...(this.model.flags.get(env)?.values() ?? [])].sort((a, b) => (a.key < b.key ? -1 : 1));
    const keep = new Set(flags.map((f) => f.key));
    for (const [key, row] of this.rows) if (!keep.has(key)) (row.remove(), this.rows.delete(key));
    flags.forEach((f, i) => {
      let row = this.rows.get(f.key);
      if (!row) this.rows.set(f.key, (row = this.createRow(f)));
      // Keep the order sorted without moving rows that are already in place (focus stays put).
      if (this.body.children[i] !== row) this.body.insertBefore(row, this.body.children[i] ?? null);
      this.render(row, f);
    });
    this.note.hidden = flags.length > 0 && !this.model.flagsError;
    this.note.className = this.model.flagsError ? 'error' : 'empty';
    this.note.textContent = this.model.flagsError
      ? `Could not load the flags: ${this.model.flagsError}`
      : !this.model.flagsLoaded
      ? 'Loading flags…'
      : env === undefined
        ? 'No flags yet. Define them in a FlagSet and apply it with `sluice flags apply -f flags.yaml`.'
        : `No flags in environment "${env}".`;
  }

  private createRow(f: FlagSummary): HTMLTableRowElement {
    return h('tr', { 'data-flag': f.key }, h('th', { scope: 'row' }, h('a', { href: flagHref(f.environment, f.key) }, f.key)), h('td'), h('td'), h('td'), h('td', { class: 'n' }), h('td'), h('td'));
  }

  private render(row: HTMLTableRowElement, f: FlagSummary): void {
    const [, set, state, serving, rules, changed, guarded] = [...row.cells];
    set!.textContent = f.flagSet;
    fill(state!, h('span', { class: `flag-state ${f.enabled ? 'on' : 'off'}` }, f.enabled ? 'on' : 'off'));
    serving!.textContent = servingText(f);
    rules!.textContent = String(f.rules);
    fill(changed!, dateTime(f.updatedAt), h('span', { class: 'actor' }, ` by ${f.updatedBy}`));
    changed!.title = SET_CHANGED;
    const [driver] = rolloutsOfFlag(this.model.rollouts.values(), f.environment, f.key, (v) => !TERMINAL.includes(v.phase));
    fill(guarded!, driver ? [h('a', { href: rolloutHref(driver.name) }, driver.name), ' ', h('span', { class: `phase ${driver.phase}` }, driver.phase)] : '–');
    row.title = f.description ?? '';
  }
}
