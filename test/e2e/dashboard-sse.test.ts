import { describe, expect, it } from 'vitest';
import { SseParser } from '../../web/src/sse-parser.js';

/** The dashboard's event-stream parser (it reads /api/v1/events over fetch, since EventSource cannot send a token). */
describe('dashboard event-stream parser', () => {
  it('parses events split anywhere across chunks, with any line ending', () => {
    const text = 'retry: 1000\r\n\r\n: heartbeat\n\nevent: decision\nid: 7\ndata: {"seq":7}\n\nevent: metrics\rdata: {"a":1}\r\rdata: line one\r\ndata: line two\r\n\r\n';
    for (let size = 1; size <= text.length; size++) {
      const parser = new SseParser();
      const events = [];
      for (let i = 0; i < text.length; i += size) events.push(...parser.feed(text.slice(i, i + size)));
      expect(events, `chunks of ${size}`).toEqual([
        { event: 'decision', data: '{"seq":7}', id: '7' },
        { event: 'metrics', data: '{"a":1}', id: '7' },
        { event: 'message', data: 'line one\nline two', id: '7' },
      ]);
      expect(parser.retryMs).toBe(1000);
    }
  });

  it('holds an unfinished event until its blank line, and ignores unknown fields and bad retry values', () => {
    const parser = new SseParser();
    expect(parser.feed('event: state\ndata: {"x"')).toEqual([]);
    expect(parser.feed(':1}\nfoo: bar\nretry: soon\n')).toEqual([]);
    expect(parser.feed('\n')).toEqual([{ event: 'state', data: '{"x":1}' }]);
    expect(parser.retryMs).toBeUndefined();
    // An event with no data is not dispatched, and its type does not leak into the next one.
    expect(parser.feed('event: gone\n\ndata: x\n\n')).toEqual([{ event: 'message', data: 'x' }]);
  });
});
