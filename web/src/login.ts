import { Api, ApiError } from './api.js';
import { h } from './dom.js';
import type { Whoami } from './types.js';

/**
 * The sign-in form: a token, checked against GET /api/v1/whoami before it is
 * kept. `notice` explains why the user is here again (signed out, token refused).
 */
export function loginView(onSignedIn: (token: string, who: Whoami) => void, notice?: string): HTMLElement {
  const input = h('input', { id: 'token', name: 'token', type: 'password', autocomplete: 'off', spellcheck: 'false', required: true, placeholder: 'sluice_…', 'aria-describedby': 'token-help' });
  const error = h('p', { id: 'login-error', class: 'error', role: 'alert' });
  const submit = h('button', { type: 'submit' }, 'Sign in');
  if (notice) error.textContent = notice;

  const form = h(
    'form',
    {
      class: 'login',
      'aria-labelledby': 'login-heading',
      onsubmit: (ev: Event) => {
        ev.preventDefault();
        const token = input.value.trim();
        if (!token) {
          error.textContent = 'Enter an API token.';
          input.focus();
          return;
        }
        submit.disabled = true;
        error.textContent = '';
        new Api(token)
          .whoami()
          .then((who) => onSignedIn(token, who))
          .catch((err: unknown) => {
            error.textContent = err instanceof ApiError && err.status === 401 ? `This token was refused: ${err.message}` : `Could not sign in: ${(err as Error).message}`;
            input.select();
            input.focus();
          })
          .finally(() => (submit.disabled = false));
      },
    },
    h('h2', { id: 'login-heading' }, 'Sign in'),
    h('label', { for: 'token' }, 'API token'),
    input,
    h(
      'p',
      { id: 'token-help', class: 'help' },
      'On its first start ',
      h('code', null, 'sluice up'),
      ' wrote an admin token to ',
      h('code', null, '<data-dir>/admin-token'),
      '. An admin creates tokens for others with ',
      h('code', null, 'sluice token create --role viewer|operator|admin --name NAME'),
      '. The token is kept in this tab only (sessionStorage) until you sign out.',
    ),
    error,
    submit,
  );
  queueMicrotask(() => input.focus());
  return form;
}
