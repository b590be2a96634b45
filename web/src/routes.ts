/**
 * The dashboard's pages as hash routes, so a link, a reload or the back
 * button lands on the same page: `#/rollouts/NAME`, `#/flags`,
 * `#/flags/ENV`, `#/flags/ENV/KEY` (each part URI-encoded).
 */
export type Route = { page: 'rollouts'; name?: string } | { page: 'flags'; environment?: string; key?: string };

export function rolloutHref(name: string): string {
  return `#/rollouts/${encodeURIComponent(name)}`;
}

export function flagsHref(environment?: string): string {
  return environment === undefined ? '#/flags' : `#/flags/${encodeURIComponent(environment)}`;
}

export function flagHref(environment: string, key: string): string {
  return `#/flags/${encodeURIComponent(environment)}/${encodeURIComponent(key)}`;
}

function decode(part: string | undefined): string | undefined {
  if (part === undefined || part === '') return undefined;
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/** Anything else (empty, `#/`, unknown) is the rollouts page. */
export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/');
  if (parts[0] === 'flags') {
    const environment = decode(parts[1]);
    const key = environment === undefined ? undefined : decode(parts.slice(2).join('/'));
    return { page: 'flags', ...(environment === undefined ? {} : { environment }), ...(key === undefined ? {} : { key }) };
  }
  const name = parts[0] === 'rollouts' ? decode(parts.slice(1).join('/')) : undefined;
  return { page: 'rollouts', ...(name === undefined ? {} : { name }) };
}
