// A closed log pipe: writes that fail (synchronously or through 'error') are dropped and counted,
// said once on the other stream, and never thrown back into the caller.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { SafeOutput } from '../../../src/logging/safe-output';

/** A stream whose reader went away: every write fails with EPIPE, the way `process.stdout` does. */
class ClosedPipe extends Writable {
  override _write(_chunk: unknown, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const error = Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
    callback(error);
  }
}

class Collecting extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.lines.push(chunk.toString('utf8'));
    callback();
  }
}

/** A stream that throws from write() itself, as a destroyed socket can. */
class Throwing extends Writable {
  override write(): boolean {
    throw Object.assign(new Error('This socket has been ended by the other party'), { code: 'EPIPE' });
  }
}

describe('SafeOutput', () => {
  it("an EPIPE through 'error': dropped from then on, counted, reported once on the fallback, never thrown", async () => {
    const fallback = new SafeOutput(new Collecting(), 'stderr');
    const other = (fallback as unknown as { stream: Collecting }).stream;
    const out = new SafeOutput(new ClosedPipe(), 'stdout', () => fallback);
    out.write('first\n');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(out.isBroken, true);
    for (let i = 0; i < 1000; i++) out.write(`line ${i}\n`);
    assert.equal(out.dropped, 1000);
    assert.deepEqual(other.lines, ['wa-tether: stdout is closed (EPIPE); log lines to it are dropped from now on\n']);
  });

  it('a write that throws is caught where it happens', () => {
    const out = new SafeOutput(new Throwing(), 'stdout');
    assert.doesNotThrow(() => out.write('x\n'));
    assert.equal(out.isBroken, true);
    assert.equal(out.dropped, 1);
  });

  it('two broken streams: nothing is reported anywhere, nothing loops', async () => {
    const outputs: { a?: SafeOutput; b?: SafeOutput } = {};
    outputs.a = new SafeOutput(new ClosedPipe(), 'stdout', () => outputs.b ?? null);
    outputs.b = new SafeOutput(new ClosedPipe(), 'stderr', () => outputs.a ?? null);
    outputs.a.write('a\n');
    outputs.b.write('b\n');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(outputs.a.isBroken && outputs.b.isBroken, true);
    outputs.a.write('again\n');
    assert.ok(outputs.a.dropped >= 1);
  });

  it('a working stream gets every line', () => {
    const sink = new Collecting();
    const out = new SafeOutput(sink, 'stdout');
    out.write('one\n');
    out.write('two\n');
    assert.deepEqual(sink.lines, ['one\n', 'two\n']);
    assert.equal(out.dropped, 0);
  });
});
