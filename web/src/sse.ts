import { API_BASE, ApiError } from './api.js';
import { SseParser, type SseEvent } from './sse-parser.js';

export type StreamStatus = 'connecting' | 'live' | 'reconnecting';

export interface StreamOptions {
  token: string;
  onEvent(ev: SseEvent): void;
  onStatus(status: StreamStatus, detail?: string): void;
  /** The token was refused: the stream stops. */
  onUnauthorized(err: ApiError): void;
}

/**
 * `GET /api/v1/events` read with fetch and a stream reader: EventSource cannot
 * send an Authorization header, and the token must never go in a URL or a
 * cookie. Reconnects after a drop, resuming after the last event id it saw.
 */
export function openEventStream(opts: StreamOptions): { close(): void } {
  const abort = new AbortController();
  let lastId: string | undefined;
  let retryMs = 1000;

  const run = async () => {
    while (!abort.signal.aborted) {
      let detail = '';
      try {
        const headers: Record<string, string> = { authorization: `Bearer ${opts.token}`, accept: 'text/event-stream' };
        if (lastId !== undefined) headers['last-event-id'] = lastId;
        const res = await fetch(`${API_BASE}/events`, { headers, signal: abort.signal, credentials: 'omit', cache: 'no-store' });
        if (res.status === 401) {
          const body = (await res.json().catch(() => undefined)) as { error?: { code?: string; message?: string } } | undefined;
          opts.onUnauthorized(new ApiError(401, body?.error?.code ?? 'SLUICE_UNAUTHENTICATED', body?.error?.message ?? 'the server no longer accepts this token'));
          return;
        }
        if (!res.ok || !res.body) throw new Error(`the event stream answered ${res.status}`);
        opts.onStatus('live');
        const parser = new SseParser();
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          for (const ev of parser.feed(value)) {
            if (ev.id !== undefined) lastId = ev.id;
            opts.onEvent(ev);
          }
          if (parser.retryMs !== undefined) retryMs = parser.retryMs;
        }
        detail = 'the server closed the stream';
      } catch (err) {
        if (abort.signal.aborted) return;
        detail = (err as Error).message;
      }
      opts.onStatus('reconnecting', detail);
      await new Promise((r) => setTimeout(r, retryMs));
    }
  };
  opts.onStatus('connecting');
  void run();
  return { close: () => abort.abort() };
}
