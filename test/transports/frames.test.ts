// The stdio line filter: good JSON-RPC lines pass through unchanged, bad ones get the JSON-RPC
// error they deserve (and never reach the SDK, which would drop them unanswered).
import { describe, expect, it } from 'vitest';
import { checkFrame, frameFilter, MAX_FRAME_BYTES, type FrameError } from '../../src/transports/frames.js';

async function filter(chunks: Array<string | Buffer>): Promise<{ passed: string[]; answers: FrameError[] }> {
  const answers: FrameError[] = [];
  const f = frameFilter((a) => answers.push(a));
  const out: Buffer[] = [];
  f.on('data', (b: Buffer) => out.push(b));
  const ended = new Promise((r) => f.on('end', r));
  for (const c of chunks) f.write(c);
  f.end();
  await ended;
  return { passed: Buffer.concat(out).toString('utf8').split('\n').filter(Boolean), answers };
}

describe('checkFrame', () => {
  it.each([
    ['{"jsonrpc":"2.0","id":1,"method":"tools/list"}', null],
    ['{"jsonrpc":"2.0","method":"notifications/initialized"}', null],
    ['{"jsonrpc":"2.0","id":"a","result":{}}', null],
    ['{"jsonrpc":"2.0","id":7,"error":{"code":1,"message":"x"}}', null],
  ])('lets %s through', (line, expected) => {
    expect(checkFrame(line)).toBe(expected);
  });

  it.each([
    ['not json {', -32700, null],
    ['[{"jsonrpc":"2.0","id":1,"method":"ping"}]', -32600, null],
    ['"a string"', -32600, null],
    ['{"jsonrpc":"1.0","id":4,"method":"ping"}', -32600, 4],
    ['{"id":5,"method":"ping"}', -32600, 5],
    ['{"jsonrpc":"2.0","id":null,"method":"ping"}', -32600, null],
    ['{"jsonrpc":"2.0","id":{"x":1},"method":"ping"}', -32600, null],
    ['{"jsonrpc":"2.0","id":6,"method":42}', -32600, 6],
    ['{"jsonrpc":"2.0","id":8}', -32600, 8],
    ['{"jsonrpc":"2.0","result":{}}', -32600, null],
  ])('answers %s with %i (id %s)', (line, code, id) => {
    const r = checkFrame(line)!;
    expect(r.error.code).toBe(code);
    expect(r.id).toBe(id);
    expect(r.error.message.length).toBeGreaterThan(10);
  });
});

describe('frameFilter', () => {
  it('reassembles lines split across chunks, keeps their order, skips blank lines and CRLF ends', async () => {
    const a = '{"jsonrpc":"2.0","id":1,"method":"ping"}';
    const b = '{"jsonrpc":"2.0","id":2,"method":"tools/list"}';
    const r = await filter([a.slice(0, 10), `${a.slice(10)}\r\n\n${b.slice(0, 5)}`, `${b.slice(5)}\nnope\n`]);
    expect(r.passed).toEqual([a, b]);
    expect(r.answers.map((x) => x.error.code)).toEqual([-32700]);
  });

  it('passes a last line without a newline when the input ends', async () => {
    const r = await filter(['{"jsonrpc":"2.0","id":1,"method":"ping"}']);
    expect(r.passed).toHaveLength(1);
  });

  it('refuses a line over the size limit once, skips it to its end and reads on', async () => {
    const big = Buffer.alloc(MAX_FRAME_BYTES + 10, 'x');
    const r = await filter([big.subarray(0, MAX_FRAME_BYTES / 2), big.subarray(MAX_FRAME_BYTES / 2), '\n{"jsonrpc":"2.0","id":9,"method":"ping"}\n']);
    expect(r.answers).toHaveLength(1);
    expect(r.answers[0]!.error).toMatchObject({ code: -32600 });
    expect(r.answers[0]!.error.message).toContain(String(MAX_FRAME_BYTES));
    expect(r.passed).toEqual(['{"jsonrpc":"2.0","id":9,"method":"ping"}']);
  });
});
