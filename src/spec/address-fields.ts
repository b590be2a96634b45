import type { Schema } from './schema.js';
import { string } from './schema-scalars.js';

/** Network address fields shared by the Rollout and ServerConfig formats. */

const HOST_PORT = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[-A-Za-z0-9.]*[A-Za-z0-9])?):(\d{1,5})$/;

/** `host:port` to listen on, port 1–65535 (IPv6 hosts in brackets: `[::1]:8080`). */
export function hostPort(description: string, example: string): Schema<string> {
  return string({
    description,
    expected: `host:port with a port from 1 to 65535, such as ${example}`,
    pattern: HOST_PORT,
    check(value) {
      const port = Number(HOST_PORT.exec(value)![1]);
      return port >= 1 && port <= 65535 ? undefined : `port must be from 1 to 65535, got ${port}`;
    },
  });
}

const HTTP_ORIGIN = /^http:\/\/[^\s/?#]+\/?$/;

/** An `http://host[:port]` base URL without path, query or credentials; normalised to its origin. */
export function httpOrigin(description: string, example: string): Schema<string> {
  return string({
    description,
    expected: `an http:// URL with a host and optional port and no path, such as ${example}`,
    pattern: HTTP_ORIGIN,
    check(value) {
      let url: URL;
      try {
        url = new URL(value);
      } catch {
        return `is not a valid URL, got "${value}"; expected something like ${example}`;
      }
      if (url.username !== '' || url.password !== '') return `must not contain credentials, got "${value}"`;
      return undefined;
    },
    normalise: (value) => new URL(value).origin,
  });
}

/** The origin of an http:// URL, or undefined when the value is not one (for duplicate checks on raw input). */
export function httpOriginOf(value: unknown): string | undefined {
  if (typeof value !== 'string' || !HTTP_ORIGIN.test(value)) return undefined;
  try {
    return new URL(value).origin;
  } catch {
    return undefined;
  }
}
