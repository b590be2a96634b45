import { API_BASE, ApiError } from './api.js';

/** One Server-Sent Event. */
export interface SseEvent {
  event: string;
  data: string;
  id?: string;
}

/**
 * Incremental parser of the text/event-stream format (WHATWG HTML §9.2):
 * feed it chunks as they arrive, get back the events they complete.
 */
export class SseParser {
  private buffer = '';
  private event = '';
  private data: string[] = [];
  private id: string | undefined;
  /** The reconnection delay the server asked for (`retry:`), ms. */
  retryMs: number | undefined;

  feed(chunk: string): SseEvent[] {
    this.buffer += chunk;
    const out: SseEvent[] = [];
    for (;;) {
      const m = /\r\n|\r|\n/.exec(this.buffer);
      // A lone \r at the end may be the first half of \r\n: wait for more.
      if (!m || (m[0] === '\r' && m.index === this.buffer.length - 1)) break;
      const line = this.buffer.slice(0, m.index);
      this.buffer = this.buffer.slice(m.index + m[0].length);
      const ev = this.line(line);
      if (ev) out.push(ev);
    }
    return out;
  }

  private line(line: string): SseEvent | undefined {
    if (line === '') {
      if (this.data.length === 0) {
        this.event = '';
        return undefined;
      }
      const ev: SseEvent = { event: this.event || 'message', data: this.data.join('\n'), ...(this.id === undefined ? {} : { id: this.id }) };
      this.event = '';
      this.data = [];
      return ev;
    }
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.event = value;
    else if (field === 'data') this.data.push(value);
    else if (field === 'id' && !value.includes('\0')) this.id = value;
    else if (field === 'retry' && /^\d+$/.test(value)) this.retryMs = Number(value);
    return undefined;
  }
}

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
