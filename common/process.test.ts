import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isCdnError } from './errors.js';
import { LineSplitter, runProcess } from './process.js';

/** True while the process exists and is not a zombie waiting to be reaped. */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Waits up to a second for a process to stop running. */
async function stopped(pid: number): Promise<boolean> {
  for (let i = 0; i < 20; i++) {
    if (!running(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

describe('LineSplitter', () => {
  it('splits on \\n, \\r\\n and bare \\r across chunk boundaries, keeping multi-byte characters whole', () => {
    const lines: string[] = [];
    const s = new LineSplitter((l) => lines.push(l));
    const euro = Buffer.from('€');
    s.push(Buffer.from('a=1\nb='));
    s.push(Buffer.from('2\r\nframe=3\rframe=4\rx'));
    s.push(euro.subarray(0, 1));
    s.push(euro.subarray(1));
    s.end();
    expect(lines).toEqual(['a=1', 'b=2', 'frame=3', 'frame=4', 'x€']);
  });
});

describe('runProcess', () => {
  it('captures stdout, delivers lines, keeps the stderr tail and the exit code', async () => {
    const lines: string[] = [];
    const r = await runProcess('sh', ['-c', 'echo one; echo two; echo oops >&2'], {
      captureStdout: true,
      onStdoutLine: (l) => lines.push(l),
    });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe('one\ntwo\n');
    expect(lines).toEqual(['one', 'two']);
    expect(r.stderrTail).toBe('oops\n');
  });

  it('fails with CDN_ERR_PROCESS_EXIT and the end of stderr on a non-zero exit', async () => {
    await expect(
      runProcess('sh', ['-c', 'echo first >&2; echo "bad thing" >&2; exit 3']),
    ).rejects.toMatchObject({
      code: 'CDN_ERR_PROCESS_EXIT',
      message: expect.stringContaining('bad thing'),
      details: expect.objectContaining({ exitCode: 3 }),
    });
  });

  it('resolves on a non-zero exit when allowed', async () => {
    const r = await runProcess('sh', ['-c', 'exit 4'], { allowNonZeroExit: true });
    expect(r.exitCode).toBe(4);
  });

  it('fails with CDN_ERR_PROCESS_SPAWN for a missing program', async () => {
    await expect(runProcess('/nonexistent/program-xyz', [])).rejects.toMatchObject({
      code: 'CDN_ERR_PROCESS_SPAWN',
    });
  });

  it('keeps only the tail of a long stderr', async () => {
    const r = await runProcess(
      'sh',
      ['-c', 'i=0; while [ $i -lt 2000 ]; do echo "line $i" >&2; i=$((i+1)); done'],
      {
        stderrTailBytes: 100,
      },
    );
    expect(r.stderrTail.length).toBeLessThanOrEqual(100);
    expect(r.stderrTail).toContain('line 1999');
  });

  it('kills the whole process tree on timeout', async () => {
    const started = Date.now();
    let grandchild = 0;
    const err = await runProcess('sh', ['-c', 'sleep 30 & echo $!; wait'], {
      timeoutMs: 300,
      onStdoutLine: (l) => (grandchild = Number(l)),
    }).catch((e: unknown) => e);
    expect(isCdnError(err, 'CDN_ERR_PROCESS_TIMEOUT')).toBe(true);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(grandchild).toBeGreaterThan(0);
    expect(await stopped(grandchild)).toBe(true);
  });

  it('kills the tree on abort, escalating to SIGKILL when SIGTERM is ignored', async () => {
    const controller = new AbortController();
    let pid = 0;
    const run = runProcess('sh', ['-c', 'trap "" TERM; sleep 30 & echo $!; wait; wait'], {
      signal: controller.signal,
      killGraceMs: 200,
      onStdoutLine: (l) => {
        pid = Number(l);
        controller.abort();
      },
    });
    await expect(run).rejects.toMatchObject({ code: 'CDN_ERR_ABORTED' });
    expect(pid).toBeGreaterThan(0);
    // The sleeping grandchild shares the group and is gone too.
    expect(await stopped(pid)).toBe(true);
  });

  it('rejects at once when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(runProcess('sleep', ['5'], { signal: controller.signal })).rejects.toMatchObject({
      code: 'CDN_ERR_ABORTED',
    });
  });
});
