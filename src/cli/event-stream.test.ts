import { describe, expect, it } from 'vitest';
import { parseEventStream, type SseMessage } from './event-stream.js';

async function parse(chunks: Array<string | Uint8Array>): Promise<SseMessage[]> {
  async function* body() {
    yield* chunks;
  }
  const out: SseMessage[] = [];
  for await (const m of parseEventStream(body())) out.push(m);
  return out;
}

const STREAM = 'retry: 1000\n\n: heartbeat\n\nevent: decision\nid: 7\ndata: {"seq":7,"message":"é ✓"}\n\nevent: metrics\ndata: a\ndata: b\n\ndata:no space\r\n\r\nid\nevent: state\ndata: x\n\n';

describe('parseEventStream', () => {
  const expected: SseMessage[] = [
    { event: 'decision', data: '{"seq":7,"message":"é ✓"}', lastEventId: '7', hasId: true },
    { event: 'metrics', data: 'a\nb', lastEventId: '7', hasId: false },
    { event: 'message', data: 'no space', lastEventId: '7', hasId: false },
    { event: 'state', data: 'x', lastEventId: '', hasId: true },
  ];

  it('parses events, ids, multi-line data, comments and CRLF', async () => {
    expect(await parse([STREAM])).toEqual(expected);
  });

  it.each([1, 2, 3, 5, 7, 13])('gives the same result when the bytes arrive in chunks of %i', async (size) => {
    const bytes = new TextEncoder().encode(STREAM);
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.slice(i, i + size));
    expect(await parse(chunks)).toEqual(expected);
  });

  it('drops a message left unfinished when the stream ends, and one without data', async () => {
    expect(await parse(['event: x\n\nevent: decision\ndata: partial'])).toEqual([]);
  });

  it('treats a lone CR as a line end, and a CR split from its LF across chunks as one', async () => {
    expect(await parse(['data: a\r', '\ndata: b\r\r'])).toEqual([{ event: 'message', data: 'a\nb', lastEventId: '', hasId: false }]);
  });
});
