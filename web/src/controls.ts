import { ApiError, type Api } from './api.js';
import { h } from './dom.js';
import type { Phase, RolloutView } from './types.js';

interface Command {
  label: string;
  /** API verb: POST /api/v1/rollouts/NAME/<verb> */
  verb: string;
  body?: Record<string, unknown>;
  /** Phases in which the engine accepts it. */
  phases: readonly Phase[];
  /** Refused at a manual gate (an approval only Promote gives). */
  notAtGate?: boolean;
  tone?: 'danger';
  hint: string;
}

const LIVE: readonly Phase[] = ['progressing', 'paused'];

/** The operator's commands, and when each applies (the engine rejects the others anyway). */
export const COMMANDS: readonly Command[] = [
  { label: 'Promote', verb: 'promote', phases: LIVE, hint: 'pass the current step or manual gate' },
  { label: 'Promote fully', verb: 'promote', body: { full: true }, phases: LIVE, hint: 'skip the remaining steps and analysis: all traffic to the canary' },
  { label: 'Pause', verb: 'pause', phases: ['progressing'], hint: 'hold the rollout at its current step' },
  { label: 'Resume', verb: 'resume', phases: ['paused'], notAtGate: true, hint: 'continue a rollout paused by a person or by inconclusive checks (a manual gate needs Promote)' },
  { label: 'Abort', verb: 'abort', body: { reason: 'aborted from the dashboard' }, phases: LIVE, tone: 'danger', hint: 'send all traffic back to stable and stop' },
  { label: 'Retry', verb: 'retry', phases: ['rolled-back', 'aborted'], hint: 'start a rolled-back or aborted rollout again' },
  { label: 'Undo', verb: 'undo', body: { reason: 'undone from the dashboard' }, phases: ['promoted'], tone: 'danger', hint: 'within the undo window, send all traffic back to the previous stable' },
];

/**
 * The command buttons of one rollout. Built once and updated in place, so a
 * keyboard user's focus stays on a button while the state streams in.
 */
export class Controls {
  readonly el: HTMLElement;
  private readonly buttons: HTMLButtonElement[];
  private readonly status: HTMLElement;
  private busy = false;
  private phase: Phase | undefined;
  private atGate = false;

  constructor(
    private readonly api: Api,
    private readonly name: string,
    private readonly onView: (v: RolloutView) => void,
  ) {
    this.buttons = COMMANDS.map((c) =>
      h('button', { type: 'button', class: `command ${c.tone ?? ''}`, title: c.hint, 'data-verb': c.verb, onclick: () => void this.run(c) }, c.label),
    );
    this.status = h('p', { class: 'command-status', role: 'status', 'aria-live': 'polite' });
    this.el = h('div', { class: 'controls', role: 'group', 'aria-label': 'Rollout commands' }, this.buttons, this.status);
  }

  update(view: RolloutView): void {
    this.phase = view.phase;
    this.atGate = view.phase === 'paused' && view.pauseReason === 'gate';
    this.refresh();
  }

  private refresh(): void {
    COMMANDS.forEach((c, i) => {
      this.buttons[i]!.disabled = this.busy || this.phase === undefined || !c.phases.includes(this.phase) || (c.notAtGate === true && this.atGate);
    });
  }

  private async run(c: Command): Promise<void> {
    this.busy = true;
    this.refresh();
    this.status.className = 'command-status';
    this.status.textContent = `${c.label}: sending…`;
    try {
      const view = await this.api.post<RolloutView>(`/rollouts/${encodeURIComponent(this.name)}/${c.verb}`, c.body);
      this.status.textContent = `${c.label}: done — ${view.message}`;
      this.onView(view);
    } catch (err) {
      this.status.className = 'command-status error';
      this.status.textContent = `${c.label} failed: ${err instanceof ApiError ? `${err.message} (${err.code})` : (err as Error).message}`;
    } finally {
      this.busy = false;
      this.refresh();
    }
  }
}
