import type { Notification } from '../engine/types.js';
import type { Logger } from '../log/logger.js';
import type { ApproveLinks } from '../notify/approve-link.js';
import { createNotifier } from '../notify/index.js';
import type { Notifier, NotifyMessage } from '../notify/notifier.js';
import type { NotificationSpec } from '../spec/lifecycle-types.js';
import type { RolloutRecord } from '../store/store.js';

export interface NotifyOptions {
  /** Makes the notifier for one target (default: createNotifier, secrets from process.env). */
  notifiers?: (spec: NotificationSpec) => Notifier;
  /** Signs approve links for `paused` notifications; without it they carry none. */
  links?: ApproveLinks;
}

/**
 * Sends the notify actions of stored steps to the rollout's targets, after the
 * state and events are saved. Delivery is in order per target and never holds
 * up the rollout; a failed delivery is logged (at most once, like chat tools).
 */
export class NotificationSender {
  private readonly chains = new Map<string, Promise<void>>();
  private readonly abort = new AbortController();
  private readonly make: (spec: NotificationSpec) => Notifier;

  constructor(
    private readonly opts: NotifyOptions,
    private readonly log: Logger,
    private readonly now: () => number,
  ) {
    this.make = opts.notifiers ?? ((spec) => createNotifier(spec));
  }

  send(record: RolloutRecord, n: Notification): void {
    if (this.abort.signal.aborted) return;
    const targets = (record.state.spec.notifications ?? []).filter((t) => t.on.includes(n.event));
    if (targets.length === 0) return;
    const message = this.message(record, n);
    for (const target of targets) {
      const key = `${record.name}/${target.name}`;
      const previous = this.chains.get(key) ?? Promise.resolve();
      const next = previous.then(() => this.deliver(record.name, target, message));
      this.chains.set(key, next);
      void next.then(() => {
        if (this.chains.get(key) === next) this.chains.delete(key);
      });
    }
  }

  /** Stops sending: deliveries in progress are cancelled. */
  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.allSettled([...this.chains.values()]);
  }

  private message(record: RolloutRecord, n: Notification): NotifyMessage {
    const approve =
      n.approve && this.opts.links
        ? this.opts.links.create({ rollout: record.name, revision: n.revision, startedAt: n.approve.startedAt, step: n.approve.stepIndex })
        : undefined;
    return {
      rollout: record.name,
      event: n.event,
      text: n.message,
      revision: n.revision,
      phase: n.phase,
      canaryWeight: n.canaryWeight,
      stepIndex: n.stepIndex,
      step: n.step,
      steps: n.steps,
      time: this.now(),
      ...(n.actor === undefined ? {} : { actor: n.actor }),
      ...(approve ? { approve: { url: approve.url, expiresAt: approve.claim.expiresAt } } : {}),
      ...(n.data === undefined ? {} : { data: n.data }),
    };
  }

  private async deliver(rollout: string, target: NotificationSpec, message: NotifyMessage): Promise<void> {
    if (this.abort.signal.aborted) return;
    try {
      const outcome = await this.make(target).send(message, this.abort.signal);
      const fields = { rollout, notification: target.name, type: target.type, event: message.event, attempts: outcome.attempts, status: outcome.status };
      if (outcome.ok) this.log.debug(fields, `notified ${target.name} (${target.type}) of ${message.event}`);
      else if (!this.abort.signal.aborted) this.log.warn(fields, `could not notify ${target.name} (${target.type}) of ${message.event}: ${outcome.message}`);
    } catch (err) {
      this.log.error({ rollout, notification: target.name, err }, `notifying ${target.name} failed`);
    }
  }
}
