/** One Server-Sent Events message. */
export interface SseMessage {
  /** `message` when the server named no event type. */
  event: string;
  data: string;
  /** The last `id:` seen on the stream so far (what a reconnect sends as Last-Event-ID). */
  lastEventId: string;
  /** Whether this message itself carried an `id:` line. */
  hasId: boolean;
}

/**
 * Parses a text/event-stream body as the WHATWG spec says: lines end with
 * CRLF, LF or CR; `:` lines are comments; a blank line dispatches; data lines
 * join with "\n"; a message without data is dropped. Chunks may split
 * anywhere, even inside a UTF-8 sequence or a CRLF.
 */
export async function* parseEventStream(body: AsyncIterable<Uint8Array | string>): AsyncGenerator<SseMessage> {
  const decoder = new TextDecoder();
  let buffer = '';
  let lastEventId = '';
  let event = '';
  let data: string[] = [];
  let hasId = false;
  let skipLf = false;
  for await (const chunk of body) {
    buffer += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    let start = 0;
    for (let i = 0; i < buffer.length; i++) {
      const c = buffer[i];
      if (skipLf) {
        skipLf = false;
        if (c === '\n') {
          start = i + 1;
          continue;
        }
      }
      if (c !== '\n' && c !== '\r') continue;
      const line = buffer.slice(start, i);
      start = i + 1;
      if (c === '\r') skipLf = true;
      if (line === '') {
        if (data.length) yield { event: event || 'message', data: data.join('\n'), lastEventId, hasId };
        event = '';
        data = [];
        hasId = false;
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      let value = colon === -1 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
      else if (field === 'id' && !value.includes('\0')) {
        lastEventId = value;
        hasId = true;
      }
    }
    buffer = buffer.slice(start);
  }
}
