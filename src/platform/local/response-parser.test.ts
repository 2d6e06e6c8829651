import { describe, expect, it } from 'vitest';
import { type ResponseHead, ResponseParser, ResponseProtocolError } from './response-parser.js';

function parse(method: string, parts: string[], close = false) {
  const heads: ResponseHead[] = [];
  const body: string[] = [];
  const ends: boolean[] = [];
  const parser = new ResponseParser(method, {
    head: (h) => heads.push(h),
    data: (c) => body.push(c.toString('latin1')),
    end: (reusable) => ends.push(reusable),
  });
  for (const part of parts) parser.feed(Buffer.from(part, 'latin1'));
  if (close) parser.close();
  return { heads, body: body.join(''), ends, done: parser.done };
}

/** Every way of cutting the input in two pieces gives the same result as one piece. */
function everySplit(method: string, raw: string) {
  const whole = parse(method, [raw]);
  for (let i = 1; i < raw.length; i++) expect(parse(method, [raw.slice(0, i), raw.slice(i)])).toEqual(whole);
  return whole;
}

describe('ResponseParser', () => {
  it('reads a Content-Length body and keeps the connection', () => {
    const r = everySplit(
      'GET',
      'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello',
    );
    expect(r.heads).toEqual([
      {
        status: 200,
        reason: 'OK',
        headers: ['Content-Type', 'text/plain', 'Content-Length', '5'],
        framed: true,
      },
    ]);
    expect(r.body).toBe('hello');
    expect(r.ends).toEqual([true]);
  });

  it('decodes a chunked body with extensions and trailers, dropping the framing fields', () => {
    const raw =
      'HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n' +
      '5;ext=1\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n';
    const r = everySplit('POST', raw);
    expect(r.heads).toEqual([{ status: 201, reason: 'Created', headers: ['X-A', '1'], framed: false }]);
    expect(r.body).toBe('hello 0123456789');
    expect(r.ends).toEqual([true]);
  });

  it('reads chunk-size lines with whitespace before extensions, and rejects anything else', () => {
    const r = everySplit(
      'GET',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n' +
        '3 ;a=b\r\nabc\r\nf\t\r\n0123456789abcde\r\n00\r\n\r\n',
    );
    expect(r.body).toBe('abc0123456789abcde');
    expect(r.ends).toEqual([true]);
    const chunked = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n';
    for (const line of ['1 x\r\n', ' 1\r\n', ';x\r\n', '1\n', `${'1'.repeat(13)}\r\n`, '1\rx'])
      expect(() => parse('GET', [`${chunked}${line}a\r\n0\r\n\r\n`]), line).toThrow(ResponseProtocolError);
    expect(() => parse('GET', [`${chunked}1;${'x'.repeat(5000)}\r\na\r\n0\r\n\r\n`])).toThrow(/longer than/);
  });

  it('has no body for HEAD, 204 and 304, whatever the length fields say', () => {
    expect(everySplit('HEAD', 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n')).toMatchObject({
      body: '',
      ends: [true],
    });
    expect(everySplit('GET', 'HTTP/1.1 204 No Content\r\n\r\n')).toMatchObject({ ends: [true] });
    expect(
      everySplit('GET', 'HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n'),
    ).toMatchObject({
      ends: [true],
    });
  });

  it('reads a body delimited by the end of the connection, which is then not reusable', () => {
    const r = parse('GET', ['HTTP/1.0 200 OK\r\n\r\nab', 'cd'], true);
    expect(r.body).toBe('abcd');
    expect(r.ends).toEqual([false]);
  });

  it('skips interim 1xx responses', () => {
    const r = everySplit(
      'POST',
      'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok',
    );
    expect(r.heads.map((h) => h.status)).toEqual([200]);
    expect(r.body).toBe('ok');
  });

  it('does not reuse a connection the app closes, and drops fields named in Connection', () => {
    const r = everySplit(
      'GET',
      'HTTP/1.1 200 OK\r\nConnection: close, X-Hop\r\nX-Hop: 1\r\nKeep-Alive: timeout=5\r\nContent-Length: 0\r\n\r\n',
    );
    expect(r.heads[0]!.headers).toEqual(['Content-Length', '0']);
    expect(r.ends).toEqual([false]);
  });

  it('keeps repeated fields such as Set-Cookie apart', () => {
    const r = parse('GET', [
      'HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nContent-Length: 0\r\n\r\n',
    ]);
    expect(r.heads[0]!.headers).toEqual(['Set-Cookie', 'a=1', 'Set-Cookie', 'b=2', 'Content-Length', '0']);
  });

  it('rejects malformed responses', () => {
    const bad = [
      'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n',
      'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n',
      'HTTP/1.1 2000 OK\r\n\r\n',
      'HTTP/2 200\r\n\r\n',
      'HTTP/1.1 200 OK\r\n folded: x\r\n\r\n',
      'HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nabc',
      'HTTP/1.1 101 Switching Protocols\r\n\r\n',
      'HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nab',
    ];
    for (const raw of bad) expect(() => parse('GET', [raw]), raw).toThrow(ResponseProtocolError);
    expect(() => parse('GET', [`HTTP/1.1 200 OK\r\nX: ${'a'.repeat(70_000)}`])).toThrow(/longer than/);
  });

  it('says when the connection ended before the response did', () => {
    expect(() => parse('GET', ['HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab'], true)).toThrow(
      /closed before the response ended/,
    );
    expect(() => parse('GET', ['HTTP/1.1 200 OK\r\nContent-Le'], true)).toThrow(ResponseProtocolError);
  });
});
