import { Api, ApiError } from './api.js';
import { h, fill } from './dom.js';
import { loginView } from './login.js';
import { Model } from './model.js';
import { RolloutDetail } from './rollout-detail.js';
import { RolloutList } from './rollout-list.js';
import { openEventStream, type StreamStatus } from './sse.js';
import type { Whoami } from './types.js';
import { hasRole } from './roles.js';

/** The token lives in this tab's sessionStorage only: never in a cookie (see api.ts) and never in a URL. */
const TOKEN_KEY = 'sluice.token';

const root = document.getElementById('app')!;
const session = document.getElementById('session')!;
let teardown: (() => void) | undefined;

function signOut(notice?: string): void {
  teardown?.();
  teardown = undefined;
  sessionStorage.removeItem(TOKEN_KEY);
  fill(session);
  fill(root, loginView(signedIn, notice));
}

function signedIn(token: string, who: Whoami): void {
  sessionStorage.setItem(TOKEN_KEY, token);
  teardown?.();
  const refused = (err: ApiError) => signOut(`Signed out: the server no longer accepts this token (${err.message}).`);
  const api = new Api(token, refused);
  const model = new Model();
  const list = new RolloutList();
  const status = h('span', { class: 'stream-status', role: 'status' });
  const detailHost = h('div', { class: 'detail-host' });
  let detail: RolloutDetail | undefined;
  const canOperate = hasRole(who.role, 'operator');

  fill(
    session,
    status,
    h('span', { class: 'who' }, 'Signed in as ', h('strong', null, who.name), ` (${who.role})`),
    h('button', { type: 'button', class: 'secondary', id: 'sign-out', onclick: () => signOut('Signed out.') }, 'Sign out'),
  );
  fill(root, h('div', { class: 'layout' }, list.el, detailHost));

  const select = () => {
    const m = /^#\/rollouts\/(.+)$/.exec(location.hash);
    const name = m ? decodeURIComponent(m[1]!) : undefined;
    list.select(name);
    detail?.destroy();
    detail = name ? new RolloutDetail(model, api, name, canOperate) : undefined;
    fill(detailHost, detail ? detail.el : h('p', { class: 'empty placeholder' }, 'Select a rollout to see its steps, live traffic and decisions.'));
  };
  const unsubscribe = model.subscribe((c) => {
    if (c.kind === 'rollout') list.update(model.rollouts.get(c.name)!);
    else if (c.kind === 'gone') list.remove(c.name);
  });
  const setStatus = (s: StreamStatus, detailText?: string) => {
    status.className = `stream-status ${s}`;
    status.textContent = s === 'live' ? '● live' : s === 'connecting' ? 'connecting…' : 'reconnecting…';
    status.title = detailText ?? '';
  };
  const stream = openEventStream({ token, onEvent: (ev) => model.receive(ev), onStatus: setStatus, onUnauthorized: refused });
  window.addEventListener('hashchange', select);
  select();
  teardown = () => {
    stream.close();
    unsubscribe();
    detail?.destroy();
    window.removeEventListener('hashchange', select);
  };
}

async function boot(): Promise<void> {
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) return signOut();
  let who: Whoami;
  try {
    who = await new Api(token).whoami();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return signOut(`Please sign in again: ${err.message}`);
    // The server is down or restarting: keep the token and let the user try again.
    fill(root, h('div', { class: 'login' }, h('p', { class: 'error', role: 'alert' }, (err as Error).message), h('button', { type: 'button', onclick: () => void boot() }, 'Try again')));
    return;
  }
  signedIn(token, who);
}

void boot();
