import { Api, ApiError } from './api.js';
import { h, fill } from './dom.js';
import { FlagDetail } from './flag-detail.js';
import { FlagList } from './flag-list.js';
import { loginView } from './login.js';
import { Model } from './model.js';
import { RolloutDetail } from './rollout-detail.js';
import { RolloutList } from './rollout-list.js';
import { flagsHref, parseRoute } from './routes.js';
import { openEventStream, type StreamStatus } from './sse.js';
import type { FlagSummary, Whoami } from './types.js';
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
  const rolloutsPage = h('div', { class: 'layout' }, list.el, detailHost);
  const flagsPage = h('div', { class: 'flags-page' });
  let flagList: FlagList | undefined;
  let flagDetail: FlagDetail | undefined;
  const canOperate = hasRole(who.role, 'operator');
  const tabs = {
    rollouts: h('a', { href: '#/', class: 'tab', id: 'tab-rollouts' }, 'Rollouts'),
    flags: h('a', { href: flagsHref(), class: 'tab', id: 'tab-flags' }, 'Flags'),
  };

  fill(
    session,
    status,
    h('span', { class: 'who' }, 'Signed in as ', h('strong', null, who.name), ` (${who.role})`),
    h('button', { type: 'button', class: 'secondary', id: 'sign-out', onclick: () => signOut('Signed out.') }, 'Sign out'),
  );
  fill(root, h('nav', { class: 'tabs', 'aria-label': 'Pages' }, tabs.rollouts, tabs.flags), rolloutsPage, flagsPage);

  const select = () => {
    const route = parseRoute(location.hash);
    for (const [page, tab] of Object.entries(tabs)) {
      if (page === route.page) tab.setAttribute('aria-current', 'page');
      else tab.removeAttribute('aria-current');
    }
    rolloutsPage.hidden = route.page !== 'rollouts';
    flagsPage.hidden = route.page !== 'flags';
    if (route.page === 'rollouts') {
      list.select(route.name);
      detail?.destroy();
      detail = route.name ? new RolloutDetail(model, api, route.name, canOperate) : undefined;
      fill(detailHost, detail ? detail.el : h('p', { class: 'empty placeholder' }, 'Select a rollout to see its steps, live traffic and decisions.'));
    }
    flagDetail?.destroy();
    flagDetail = undefined;
    flagList = undefined;
    if (route.page === 'flags') {
      if (route.environment !== undefined && route.key !== undefined) flagDetail = new FlagDetail(model, api, route.environment, route.key, canOperate);
      else flagList = new FlagList(model, route.environment);
      fill(flagsPage, (flagDetail ?? flagList)!.el);
    } else {
      fill(flagsPage);
    }
  };
  const unsubscribe = model.subscribe((c) => {
    if (c.kind === 'rollout') list.update(model.rollouts.get(c.name)!);
    else if (c.kind === 'gone') list.remove(c.name);
    if (c.kind === 'flags' || c.kind === 'rollout' || c.kind === 'gone') flagList?.update();
  });
  // Flag changes are not replayed by the stream: read them all each time it (re)connects.
  const loadFlags = () => {
    const token = model.beginFlagLoad();
    api.get<{ flags: FlagSummary[] }>('/flags').then(
      (r) => model.finishFlagLoad(token, r.flags),
      (err: Error) => model.failFlagLoad(token, err.message),
    );
  };
  const setStatus = (s: StreamStatus, detailText?: string) => {
    status.className = `stream-status ${s}`;
    status.textContent = s === 'live' ? '● live' : s === 'connecting' ? 'connecting…' : 'reconnecting…';
    status.title = detailText ?? '';
    if (s === 'live') loadFlags();
  };
  const stream = openEventStream({ token, onEvent: (ev) => model.receive(ev), onStatus: setStatus, onUnauthorized: refused });
  window.addEventListener('hashchange', select);
  select();
  teardown = () => {
    stream.close();
    unsubscribe();
    detail?.destroy();
    flagDetail?.destroy();
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
