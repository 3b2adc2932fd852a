// freePort never hands out a port twice in a row, even when the OS repeats itself (seen in
// CI: listen(0) gave one port to a broker's listener and to its admin port). The OS source
// is replaced by a scripted one that repeats; the real one is checked for distinct ports.
import { describe, expect, it } from 'vitest';
import { freePort, unusedPort } from './broker-process.ts';

describe('freePort', () => {
  it('skips a port the source repeats and gives up after bounded tries', async () => {
    const script = [40001, 40001, 40001, 40002];
    const recent: number[] = [];
    const next = () => Promise.resolve(script.shift()!);
    expect(await unusedPort(next, recent)).toBe(40001);
    expect(await unusedPort(next, recent)).toBe(40002);
    expect(recent).toEqual([40001, 40002]);
    await expect(unusedPort(() => Promise.resolve(40001), recent)).rejects.toThrow(/no port unused/);
  });

  it('hands out distinct real ports', async () => {
    const ports = [];
    for (let i = 0; i < 50; i++) ports.push(await freePort());
    expect(new Set(ports).size).toBe(50);
  });
});
