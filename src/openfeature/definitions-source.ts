import { request } from 'undici';
import type { FlagSet } from '../spec/flagset-types.js';
import { SseParser } from './sse-parser.js';

/**
 * Keeps an environment's flag definitions current from a Sluice server: one
 * GET of /sdk/v1/flags, then the SSE stream /sdk/v1/flags/stream, reconnected
 * with exponential backoff (and Last-Event-ID) whenever it drops. Nothing
 * here throws at the caller: failures are reported through `onError` and the
 * last good definitions stay where they are.
 */

/** What the server sends (flags-sdk-routes.ts `FlagDefinitions`). */
export interface Definitions {
  environment: string;
  revision: number;
  etag?: string;
  flagSets: FlagSet[];
}

export interface DefinitionsSourceOptions {
  /** The server's base URL, e.g. http://127.0.0.1:7070 */
  url: string;
  /** A client key of the environment (sluice_ck_…). */
  clientKey: string;
  onDefinitions(defs: Definitions): void;
  /** The stream dropped or a fetch failed; the source keeps trying. */
  onError(err: Error): void;
  /** First reconnect delay (default 250 ms); doubles up to `maxBackoffMs`. */
  initialBackoffMs?: number;
  /** Longest reconnect delay (default 30 s). */
  maxBackoffMs?: number;
  /** How long a fetch or a stream connect may take (default 5 s). */
  timeoutMs?: number;
  /** Randomness for backoff jitter (tests inject it). */
  random?: () => number;
}

export class DefinitionsSource {
  readonly #opts: DefinitionsSourceOptions;
  readonly #abort = new AbortController();
  #revision: number | undefined;
  #failures = 0;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(opts: DefinitionsSourceOptions) {
    this.#opts = { ...opts, url: opts.url.replace(/\/+$/, '') };
  }

  /** Fetches the definitions once; rejects when the server cannot be reached or refuses the key. */
  async fetch(): Promise<Definitions> {
    const res = await request(`${this.#opts.url}/sdk/v1/flags`, {
      headers: this.#headers(),
      signal: AbortSignal.any([this.#abort.signal, AbortSignal.timeout(this.#opts.timeoutMs ?? 5000)]),
    });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`GET ${this.#opts.url}/sdk/v1/flags answered ${res.statusCode}: ${text.slice(0, 300)}`);
    const defs = parseDefinitions(text);
    this.#revision = defs.revision;
    return defs;
  }

  /** Starts following the stream (reconnecting until `close`). */
  follow(): void {
    void this.#connect();
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#abort.abort();
  }

  #headers(): Record<string, string> {
    return { 'x-api-key': this.#opts.clientKey, accept: 'application/json' };
  }

  async #connect(): Promise<void> {
    if (this.#closed) return;
    try {
      const headers: Record<string, string> = { ...this.#headers(), accept: 'text/event-stream' };
      if (this.#revision !== undefined) headers['last-event-id'] = String(this.#revision);
      const res = await request(`${this.#opts.url}/sdk/v1/flags/stream`, {
        headers,
        signal: this.#abort.signal,
        headersTimeout: this.#opts.timeoutMs ?? 5000,
        bodyTimeout: 0,
      });
      if (res.statusCode !== 200) {
        const text = await res.body.text();
        throw new Error(`the definitions stream answered ${res.statusCode}: ${text.slice(0, 300)}`);
      }
      const parser = new SseParser((msg) => {
        if (msg.event !== 'flags') return;
        const defs = parseDefinitions(msg.data);
        this.#revision = defs.revision;
        this.#failures = 0;
        this.#opts.onDefinitions(defs);
      });
      res.body.setEncoding('utf8');
      for await (const chunk of res.body) parser.push(chunk as string);
      if (!this.#closed) this.#opts.onError(new Error('the definitions stream ended'));
    } catch (err) {
      if (this.#closed) return;
      this.#opts.onError(err instanceof Error ? err : new Error(String(err)));
    }
    this.#schedule();
  }

  #schedule(): void {
    if (this.#closed) return;
    const initial = this.#opts.initialBackoffMs ?? 250;
    const max = this.#opts.maxBackoffMs ?? 30_000;
    const base = Math.min(max, initial * 2 ** Math.min(this.#failures, 20));
    this.#failures++;
    // Full jitter on the upper half, so many SDKs restarted together do not reconnect in step.
    const delay = base / 2 + (base / 2) * (this.#opts.random ?? Math.random)();
    this.#timer = setTimeout(() => void this.#connect(), delay);
    this.#timer.unref();
  }
}

/** Reads a definitions payload; throws a clear error when it is not one. */
export function parseDefinitions(text: string): Definitions {
  const value: unknown = JSON.parse(text);
  if (typeof value !== 'object' || value === null || !Array.isArray((value as Definitions).flagSets)) {
    throw new Error('the flag definitions are not an object with a "flagSets" array');
  }
  const defs = value as Definitions;
  return { environment: String(defs.environment ?? ''), revision: Number(defs.revision ?? 0), etag: defs.etag, flagSets: defs.flagSets };
}
