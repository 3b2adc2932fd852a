import { describe, expect, it } from 'vitest';
import { brokerConfigFrom } from './broker-config.ts';
import { maxConnectionsUnder, parseOpenFilesLimit } from './open-files-limit.ts';

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max open files            1024                 524288               files
Max locked memory         8388608              8388608              bytes
`;

describe('open-file limit and max.connections', () => {
  it('reads the soft open-file limit from /proc/<pid>/limits', () => {
    expect(parseOpenFilesLimit(LIMITS)).toBe(1024);
    expect(parseOpenFilesLimit(LIMITS.replace('1024 ', 'unlimited'))).toBeNull();
    expect(parseOpenFilesLimit('')).toBeNull();
  });

  it('defaults max.connections to half the limit, never above the configured value', () => {
    expect(maxConnectionsUnder(1024, 10_000)).toBe(512);
    expect(maxConnectionsUnder(1_048_576, 10_000)).toBe(10_000);
    expect(maxConnectionsUnder(1, 10_000)).toBe(1);
  });

  it('applies the cap only when max.connections is not set explicitly', () => {
    const dir = { dataDir: '/tmp/d' };
    expect(brokerConfigFrom(dir, '', (p) => p, 1024).config.maxConnections).toBe(512);
    expect(brokerConfigFrom(dir, '', (p) => p, 65_536).config.maxConnections).toBe(10_000);
    expect(brokerConfigFrom(dir, '', (p) => p, null).config.maxConnections).toBe(10_000);
    expect(brokerConfigFrom({ ...dir, override: ['max.connections=900'] }, '', (p) => p, 1024).config.maxConnections).toBe(900);
    expect(brokerConfigFrom(dir, 'max.connections=2000\n', (p) => p, 1024).config.maxConnections).toBe(2000);
  });
});
