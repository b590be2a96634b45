import type { Notifier, NotifyMessage, NotifyOutcome } from './notifier.js';

export const MEMORY_NOTIFIER_TYPE = 'memory';
export const NOOP_NOTIFIER_TYPE = 'noop';

/** Keeps every message, in order: the test fake. */
export class MemoryNotifier implements Notifier {
  readonly type = MEMORY_NOTIFIER_TYPE;
  readonly sent: NotifyMessage[] = [];

  async send(m: NotifyMessage): Promise<NotifyOutcome> {
    this.sent.push(structuredClone(m));
    return { ok: true, message: 'kept in memory', attempts: 1 };
  }
}

/** Drops every message. */
export class NoopNotifier implements Notifier {
  readonly type = NOOP_NOTIFIER_TYPE;

  async send(): Promise<NotifyOutcome> {
    return { ok: true, message: 'dropped (no-op notifier)', attempts: 1 };
  }
}
