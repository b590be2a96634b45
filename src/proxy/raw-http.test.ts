import { describe, expect, it } from 'vitest';
import { ChunkScanner, parseRequestHead, parseResponseHead, UpstreamProtocolError } from './raw-http.js';

const head = (...lines: string[]) => lines.join('\r\n');

describe('parseRequestHead', () => {
  it('keeps end-to-end headers as received and takes out hop-by-hop, Host and X-Forwarded-*', () => {
    const req = parseRequestHead(
      head(
        'GET /a?b=1 HTTP/1.1',
        'Host: shop.example',
        'Accept: */*',
        'Connection: keep-alive',
        'Keep-Alive: timeout=5',
        'TE: trailers',
        'Proxy-Authorization: secret',
        'X-Forwarded-For: 10.0.0.1',
        'x-forwarded-for: 10.0.0.2',
        'X-Forwarded-Proto: https',
        'X-Request-Id: abc',
        'X-Request-Id: second',
        'Cookie: a=1',
      ),
    )!;
    expect(req).toMatchObject({ method: 'GET', target: '/a?b=1', host: 'shop.example', forwardedFor: '10.0.0.1, 10.0.0.2', requestId: 'abc', close: false });
    expect(req.kept).toBe('Accept: */*\r\nX-Request-Id: abc\r\nCookie: a=1\r\n');
    expect(req.raw.slice(0, 4)).toEqual(['Host', 'shop.example', 'Accept', '*/*']);
  });

  it('notes Connection: close', () => {
    expect(parseRequestHead(head('HEAD / HTTP/1.1', 'host: a', 'connection: Close'))?.close).toBe(true);
  });

  it.each([
    ['a request with a body', head('POST /x HTTP/1.1', 'Host: a', 'Content-Length: 5')],
    ['a DELETE with a body', head('DELETE /x HTTP/1.1', 'Host: a', 'Content-Length: 5')],
    ['two Content-Length: 0', head('GET /x HTTP/1.1', 'Host: a', 'Content-Length: 0', 'Content-Length: 0')],
    ['chunked framing', head('GET /x HTTP/1.1', 'Host: a', 'Transfer-Encoding: chunked')],
    ['an upgrade', head('GET /ws HTTP/1.1', 'Host: a', 'Connection: Upgrade', 'Upgrade: websocket')],
    ['Expect: 100-continue', head('GET /x HTTP/1.1', 'Host: a', 'Expect: 100-continue')],
    ['HTTP/1.0', head('GET /x HTTP/1.0', 'Host: a')],
    ['no Host', head('GET /x HTTP/1.1', 'Accept: */*')],
    ['two Host headers', head('GET /x HTTP/1.1', 'Host: a', 'Host: b')],
    ['obs-fold', head('GET /x HTTP/1.1', 'Host: a', 'X-A: b', ' c')],
    ['a bare LF', 'GET /x HTTP/1.1\r\nHost: a\nX-A: b'],
    ['a space before the colon', head('GET /x HTTP/1.1', 'Host : a')],
    ['a control character', head('GET /x HTTP/1.1', 'Host: a', 'X-A: b\x01')],
    ['obs-text', head('GET /x HTTP/1.1', 'Host: a', 'X-A: caf\xe9')],
    ['an absolute-form target', head('GET http://a/x HTTP/1.1', 'Host: a')],
    ['an unknown method', head('PURGE /x HTTP/1.1', 'Host: a')],
    ['Connection listing a header', head('GET /x HTTP/1.1', 'Host: a', 'Connection: close, x-private')],
    ['a line without a colon', head('GET /x HTTP/1.1', 'Host: a', 'nonsense')],
    ['a request line with extra spaces', head('GET  /x HTTP/1.1', 'Host: a')],
  ])('leaves %s to Node’s server', (_what, text) => {
    expect(parseRequestHead(text)).toBeUndefined();
  });

  it('accepts Content-Length: 0', () => {
    expect(parseRequestHead(head('DELETE /x HTTP/1.1', 'Host: a', 'Content-Length: 0'))?.kept).toBe('Content-Length: 0\r\n');
  });
});

describe('parseResponseHead', () => {
  it('reads status, reason and framing, and drops hop-by-hop headers and those Connection names', () => {
    const res = parseResponseHead(head('HTTP/1.1 404 Not Found', 'Content-Length: 12', 'Connection: keep-alive, x-hop', 'X-Hop: 1', 'Keep-Alive: timeout=5', 'X-Request-Id: r1', 'Set-Cookie: a=1'));
    expect(res).toEqual({ status: 404, reason: 'Not Found', kept: 'Content-Length: 12\r\nX-Request-Id: r1\r\nSet-Cookie: a=1\r\n', length: 12, chunked: false, close: false, hasRequestId: true });
  });

  it('keeps chunked framing and sees Connection: close and HTTP/1.0', () => {
    expect(parseResponseHead(head('HTTP/1.1 200 OK', 'Transfer-Encoding: chunked', 'Connection: close'))).toMatchObject({ chunked: true, length: -1, close: true, kept: 'Transfer-Encoding: chunked\r\n' });
    expect(parseResponseHead(head('HTTP/1.0 200 OK', 'Content-Length: 1'))).toMatchObject({ close: true });
    expect(parseResponseHead(head('HTTP/1.0 200 OK', 'Connection: keep-alive'))).toMatchObject({ close: false, length: -1 });
    expect(parseResponseHead('HTTP/1.1 204')).toMatchObject({ status: 204, reason: '' });
  });

  it.each([
    ['HTTP/2 200', /not HTTP\/1\.x/],
    ['HTTP/1.1 20 OK', /no valid status code/],
    ['HTTP/1.1 2000 OK', /no valid status code/],
    [head('HTTP/1.1 200 OK', 'Content-Length: 1', 'Transfer-Encoding: chunked'), /both Content-Length and Transfer-Encoding/],
    [head('HTTP/1.1 200 OK', 'Content-Length: 1', 'Content-Length: 2'), /invalid Content-Length/],
    [head('HTTP/1.1 200 OK', 'Content-Length: -1'), /invalid Content-Length/],
    [head('HTTP/1.1 200 OK', 'Transfer-Encoding: gzip, chunked'), /not plain chunked/],
    [head('HTTP/1.1 200 OK', 'Bad Header: x'), /malformed/],
  ])('refuses %j', (text, message) => {
    const res = parseResponseHead(text);
    expect(res).toBeInstanceOf(UpstreamProtocolError);
    expect((res as Error).message).toMatch(message);
  });
});

describe('ChunkScanner', () => {
  const body = Buffer.from('5;ext=1\r\nhello\r\n1A\r\n' + 'x'.repeat(26) + '\r\n0\r\nTrailer-A: 1\r\n\r\n');

  it('finds the end of a chunked body with extensions and trailers, however it is split', () => {
    const tail = Buffer.from('NEXT');
    const whole = Buffer.concat([body, tail]);
    expect(new ChunkScanner().scan(whole)).toBe(body.length);
    for (let cut = 1; cut < body.length; cut++) {
      const s = new ChunkScanner();
      expect(s.scan(whole.subarray(0, cut))).toBe(-1);
      expect(s.scan(whole.subarray(cut))).toBe(body.length - cut);
      expect(s.done).toBe(true);
    }
  });

  it('ends a body without trailers at the last chunk’s CRLF', () => {
    expect(new ChunkScanner().scan(Buffer.from('0\r\n\r\n'))).toBe(5);
  });

  it.each([
    ['zz\r\n', /size line is malformed/],
    ['\r\n', /size line is malformed/],
    ['5\nhello', /size line is malformed/],
    ['3\r\nhello\r\n', /longer than its size/],
    ['1234567890abc\r\n', /too large/],
  ])('refuses %j', (text, message) => {
    const res = new ChunkScanner().scan(Buffer.from(text));
    expect(res).toBeInstanceOf(UpstreamProtocolError);
    expect((res as Error).message).toMatch(message);
  });
});
