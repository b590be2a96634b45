import { createHmac, timingSafeEqual } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Receiver } from '../hooks/testing.js';
import { createNotifier, missingSecrets, NotifyError, SIGNATURE_HEADER, type NotifyMessage, type WebhookNotification } from './index.js';

/** The three formats against real HTTP receivers. */

const PAUSED: NotifyMessage = {
  rollout: 'checkout',
  event: 'paused',
  text: 'step 2/4: paused at 20% canary at a manual gate; promote to continue, abort to roll back',
  revision: 3,
  phase: 'paused',
  canaryWeight: 20,
  stepIndex: 1,
  step: 2,
  steps: 4,
  time: Date.UTC(2026, 0, 2, 3, 4, 5),
  approve: { url: 'https://sluice.example/api/v1/approve/v1.abc.def', expiresAt: Date.UTC(2026, 0, 3, 3, 4, 5) },
  data: { reason: 'gate' },
};

/** What a receiver does to check a signature: HMAC the raw body, compare in constant time. */
function verifySignature(secret: string, body: string, header: unknown): boolean {
  if (typeof header !== 'string' || !header.startsWith('sha256=')) return false;
  const want = createHmac('sha256', secret).update(body).digest();
  const got = Buffer.from(header.slice(7), 'hex');
  return got.length === want.length && timingSafeEqual(got, want);
}

describe('notifiers', () => {
  let rx: Receiver;
  beforeAll(async () => {
    rx = await Receiver.start();
  });
  afterAll(() => rx.close());

  it('webhook: JSON signed with HMAC-SHA256 of the exact body in X-Sluice-Signature', async () => {
    rx.answer({ status: 204 });
    const n = createNotifier({ type: 'webhook', url: `${rx.url}/signed`, timeout: 2000, secretEnv: 'OPS_KEY' }, { env: { OPS_KEY: 's3cr3t' } });
    const out = await n.send(PAUSED);
    expect(out).toMatchObject({ ok: true, status: 204, attempts: 1 });
    const [got] = rx.at('/signed');
    expect(verifySignature('s3cr3t', got!.body, got!.headers[SIGNATURE_HEADER])).toBe(true);
    expect(verifySignature('other', got!.body, got!.headers[SIGNATURE_HEADER])).toBe(false);
    expect(verifySignature('s3cr3t', got!.body.replace('checkout', 'checkOut'), got!.headers[SIGNATURE_HEADER])).toBe(false);
    expect(got!.headers['x-sluice-event']).toBe('paused');
    expect(got!.headers['x-sluice-delivery']).toMatch(/^[0-9a-f-]{36}$/);
    const body = got!.json as WebhookNotification;
    expect(body).toEqual({
      rollout: 'checkout', event: 'paused', title: '⏸️ checkout is waiting at step 2/4', message: PAUSED.text,
      revision: 3, phase: 'paused', canaryWeight: 20, step: 2, steps: 4, stepIndex: 1, actor: null, time: '2026-01-02T03:04:05.000Z',
      approveUrl: PAUSED.approve!.url, approveExpiresAt: '2026-01-03T03:04:05.000Z', data: { reason: 'gate' },
    });
  });

  it('webhook: without secretEnv the body goes unsigned; with it but no such variable nothing is sent', async () => {
    const unsigned = await createNotifier({ type: 'webhook', url: `${rx.url}/plain`, timeout: 2000 }).send(PAUSED);
    expect(unsigned.ok).toBe(true);
    expect(rx.at('/plain')[0]!.headers[SIGNATURE_HEADER]).toBeUndefined();
    const refused = await createNotifier({ type: 'webhook', url: `${rx.url}/nokey`, timeout: 2000, secretEnv: 'NOT_SET_ANYWHERE' }, { env: {} }).send(PAUSED);
    expect(refused).toMatchObject({ ok: false, attempts: 0 });
    expect(refused.message).toContain('the environment variable NOT_SET_ANYWHERE, which is not set');
    expect(rx.at('/nokey')).toHaveLength(0);
  });

  it('missingSecrets names each webhook target whose secretEnv is unset or empty, by field path', () => {
    const targets = [
      { name: 'chat', type: 'slack' as const },
      { name: 'ops', type: 'webhook' as const, secretEnv: 'OPS_KEY' },
      { name: 'audit', type: 'webhook' as const, secretEnv: 'AUDIT_KEY' },
      { name: 'plain', type: 'webhook' as const },
    ];
    const missing = missingSecrets(targets, { OPS_KEY: '', AUDIT_KEY: 'k' });
    expect(missing).toEqual([{ path: 'spec.notifications[1].secretEnv', target: 'ops', variable: 'OPS_KEY', message: expect.stringContaining('set OPS_KEY there') }]);
    expect(missingSecrets(targets, { OPS_KEY: 'k', AUDIT_KEY: 'k' })).toEqual([]);
    expect(missingSecrets(undefined, {})).toEqual([]);
  });

  it('slack: Block Kit with a header, the sentence, context and an approve button', async () => {
    rx.answer({ status: 200, body: 'ok' });
    const out = await createNotifier({ type: 'slack', url: `${rx.url}/slack`, timeout: 2000 }).send({ ...PAUSED, text: 'a <b> & c' });
    expect(out.ok).toBe(true);
    const msg = rx.at('/slack')[0]!.json as { text: string; blocks: Array<Record<string, any>> };
    expect(msg.text).toBe('⏸️ checkout is waiting at step 2/4: a <b> & c');
    expect(msg.blocks.map((b) => b.type)).toEqual(['header', 'section', 'context', 'actions', 'context']);
    expect(msg.blocks[0]!.text).toEqual({ type: 'plain_text', text: '⏸️ checkout is waiting at step 2/4', emoji: true });
    expect(msg.blocks[1]!.text).toEqual({ type: 'mrkdwn', text: 'a &lt;b&gt; &amp; c' });
    expect(msg.blocks[2]!.elements[0].text).toBe('revision 3 · 20% canary · step 2/4 · paused');
    expect(msg.blocks[3]!.elements[0]).toMatchObject({ type: 'button', style: 'primary', url: PAUSED.approve!.url, text: { type: 'plain_text', text: 'Approve this step' } });
    expect(msg.blocks[4]!.elements[0].text).toBe('The link works once, until 2026-01-03 03:04 UTC.');
  });

  it('teams: an Adaptive Card in the message envelope, with an Open URL action to approve', async () => {
    const out = await createNotifier({ type: 'teams', url: `${rx.url}/teams`, timeout: 2000 }).send(PAUSED);
    expect(out.ok).toBe(true);
    const msg = rx.at('/teams')[0]!.json as { type: string; attachments: Array<{ contentType: string; content: Record<string, any> }> };
    expect(msg.type).toBe('message');
    expect(msg.attachments).toHaveLength(1);
    const { contentType, content } = msg.attachments[0]!;
    expect(contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(content).toMatchObject({ type: 'AdaptiveCard', version: '1.4', $schema: 'http://adaptivecards.io/schemas/adaptive-card.json' });
    expect(content.body[0]).toMatchObject({ type: 'TextBlock', text: '⏸️ checkout is waiting at step 2/4', color: 'Warning' });
    expect(content.body[2].facts).toContainEqual({ title: 'Canary weight', value: '20%' });
    expect(content.actions).toEqual([{ type: 'Action.OpenUrl', title: 'Approve this step', url: PAUSED.approve!.url }]);
    const promoted = { ...PAUSED, event: 'promoted' as const, approve: undefined };
    await createNotifier({ type: 'teams', url: `${rx.url}/teams2`, timeout: 2000 }).send(promoted);
    expect((rx.at('/teams2')[0]!.json as any).attachments[0].content.actions).toBeUndefined();
  });

  it('retries an outage and a 5xx, but not a 4xx', async () => {
    let n = 0;
    rx.answer((r) => (r.path === '/flaky' && ++n < 3 ? { status: 502 } : r.path === '/gone' ? { status: 404, body: 'no such hook' } : { status: 200 }));
    const flaky = await createNotifier({ type: 'slack', url: `${rx.url}/flaky`, timeout: 2000 }, { retryDelayMs: 10 }).send(PAUSED);
    expect(flaky).toMatchObject({ ok: true, attempts: 3 });
    const gone = await createNotifier({ type: 'slack', url: `${rx.url}/gone`, timeout: 2000 }, { retryDelayMs: 10 }).send(PAUSED);
    expect(gone).toMatchObject({ ok: false, status: 404, attempts: 1, message: 'answered 404 Not Found: no such hook' });
  });

  it('the factory refuses unknown types', () => {
    expect(() => createNotifier({ type: 'discord', url: 'http://x/' })).toThrow(NotifyError);
    expect(() => createNotifier({ type: 'discord', url: 'http://x/' })).toThrow('unknown notifier type "discord"; known types are webhook, slack, teams, memory, noop');
    expect(createNotifier({ type: 'memory' }).type).toBe('memory');
    expect(createNotifier({ type: 'noop' }).type).toBe('noop');
  });
});
