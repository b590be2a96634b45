import { ApiError, type Api } from './api.js';
import { h, fill } from './dom.js';
import { splittable } from '../../src/flags/words.js';
import type { FlagView } from './types.js';

/**
 * The operator's controls of one flag: switch it on or off, and serve a
 * variant to a percentage of users (`PATCH /api/v1/flags/ENV/KEY`). The
 * server checks everything again and its message is shown as it says it.
 * Built once and updated in place, so focus stays while changes stream in.
 */
export class FlagControls {
  readonly el: HTMLElement;
  private readonly toggle: HTMLButtonElement;
  private readonly variant: HTMLSelectElement;
  private readonly percentInput: HTMLInputElement;
  private readonly apply: HTMLButtonElement;
  private readonly status: HTMLElement;
  private busy = false;
  private flag: FlagView | undefined;
  /** The form is only refilled from the flag while the user is not editing it. */
  private edited = false;

  constructor(
    private readonly api: Api,
    private readonly environment: string,
    private readonly key: string,
    private readonly onFlag: (flag: FlagView) => void,
  ) {
    this.toggle = h('button', { type: 'button', id: 'flag-toggle', onclick: () => void this.send({ enabled: !this.flag?.definition.enabled }) });
    this.variant = h('select', { id: 'flag-variant', onchange: () => (this.edited = true) });
    this.percentInput = h('input', { id: 'flag-percent', type: 'number', min: 0, max: 100, step: 'any', inputmode: 'decimal', oninput: () => (this.edited = true) });
    this.apply = h('button', { type: 'submit' }, 'Set percentage');
    this.status = h('p', { class: 'command-status', id: 'flag-status', role: 'status', 'aria-live': 'polite' });
    const form = h(
      'form',
      {
        class: 'percent-form',
        novalidate: true,
        onsubmit: (ev: Event) => {
          ev.preventDefault();
          const raw = this.percentInput.value.trim();
          if (raw === '' || !Number.isFinite(Number(raw))) return this.fail('Enter the percentage of users, from 0 to 100.');
          void this.send({ variant: this.variant.value, percent: Number(raw) });
        },
      },
      h('label', { for: 'flag-variant' }, 'Serve'),
      this.variant,
      h('label', { for: 'flag-percent' }, 'to'),
      this.percentInput,
      h('span', null, '% of users'),
      this.apply,
    );
    this.el = h('div', { class: 'controls flag-controls', role: 'group', 'aria-label': 'Flag controls' }, this.toggle, form, this.status);
  }

  update(flag: FlagView): void {
    this.flag = flag;
    const def = flag.definition;
    this.toggle.textContent = def.enabled ? 'Turn off' : 'Turn on';
    this.toggle.className = def.enabled ? 'danger' : '';
    this.toggle.title = def.enabled ? `serve "${def.offVariant}" to everyone` : 'apply the rules and the split again';
    const choices = splittable(Object.keys(def.variants), def.defaultVariant);
    const [current] = Object.entries(def.split ?? {});
    if (!this.edited || !choices.includes(this.variant.value)) {
      const chosen = current && choices.includes(current[0]) ? current[0] : choices[0];
      fill(this.variant, choices.map((v) => h('option', { value: v, selected: v === chosen }, v)));
      this.percentInput.value = String(current && current[0] === chosen ? current[1] : 0);
      this.edited = false;
    }
    this.refresh();
  }

  private refresh(): void {
    const noVariant = this.variant.options.length === 0;
    this.toggle.disabled = this.busy || !this.flag;
    this.variant.disabled = this.apply.disabled = this.percentInput.disabled = this.busy || noVariant;
    if (noVariant) this.apply.title = 'this flag has only its default variant';
  }

  private async send(patch: { enabled?: boolean; variant?: string; percent?: number }): Promise<void> {
    const what = patch.enabled === undefined ? `serve ${patch.variant} to ${patch.percent}% of users` : patch.enabled ? 'turn on' : 'turn off';
    this.busy = true;
    this.refresh();
    this.status.className = 'command-status';
    this.status.textContent = `${what}: sending…`;
    try {
      const path = `/flags/${encodeURIComponent(this.environment)}/${encodeURIComponent(this.key)}`;
      const res = await this.api.patch<{ flag: FlagView; changed: boolean; event?: { message: string } }>(path, patch);
      // A split set on a flag that is off is kept, not served: say so, or "Done" reads as if users got it.
      const dormant = patch.enabled === undefined && !res.flag.definition.enabled ? ` The flag is still off: everyone gets "${res.flag.definition.offVariant}" until it is turned on, then the new split applies.` : '';
      this.status.textContent = res.changed ? `Done: ${res.event?.message ?? what}.${dormant}` : `No change: the flag already was so.${dormant}`;
      this.edited = false;
      this.onFlag(res.flag);
    } catch (err) {
      this.fail(`Could not ${what}: ${err instanceof ApiError ? `${err.message} (${err.code})` : (err as Error).message}`);
    } finally {
      this.busy = false;
      this.refresh();
    }
  }

  private fail(message: string): void {
    this.status.className = 'command-status error';
    this.status.textContent = message;
  }
}
