import { describe, expect, it } from 'vitest';
import { resolveBrokerFlags } from './broker-flags.ts';

const abs = (p: string): string => (p.startsWith('/') ? p : `/cwd/${p.replace(/^\.\//, '')}`);
const last = (pairs: Array<[string, string]>, key: string): string | undefined => pairs.filter(([k]) => k === key).pop()?.[1];

describe('resolveBrokerFlags', () => {
  it('defaults to 127.0.0.1:9092 and ./data when nothing sets them', () => {
    const r = resolveBrokerFlags({ configText: '', overrides: [] }, abs);
    expect(last(r.overrides, 'listeners')).toBe('PLAINTEXT://127.0.0.1:9092');
    expect(last(r.overrides, 'log.dirs')).toBe('/cwd/data');
    expect(r.dataDirShown).toBe('./data');
  });

  it('keeps listeners and log.dirs from the file when no shortcut is given', () => {
    const r = resolveBrokerFlags({ configText: 'listeners=PLAINTEXT://0.0.0.0:9999\nlog.dirs=/var/k\n', overrides: [] }, abs);
    expect(last(r.overrides, 'listeners')).toBeUndefined();
    expect(last(r.overrides, 'log.dirs')).toBe('/var/k');
    expect(r.dataDirShown).toBe('/var/k');
  });

  it('shortcuts win over overrides, which win over the file', () => {
    const r = resolveBrokerFlags(
      { configText: 'listeners=PLAINTEXT://10.0.0.1:9000\nlog.dir=/from/file\n', overrides: ['log.dirs=/from/override', 'node.id=3'], port: 19092, dataDir: 'rel', nodeId: 7 },
      abs,
    );
    expect(last(r.overrides, 'listeners')).toBe('PLAINTEXT://10.0.0.1:19092');
    expect(last(r.overrides, 'log.dirs')).toBe('/cwd/rel');
    expect(last(r.overrides, 'node.id')).toBe('7');
    expect(r.overrides.findIndex(([k]) => k === 'node.id')).toBeLessThan(r.overrides.map(([k]) => k).lastIndexOf('node.id'));
  });

  it('--host keeps the configured port and listener name; IPv6 hosts get brackets', () => {
    expect(last(resolveBrokerFlags({ configText: 'listeners=CLIENT://:9500', overrides: [], host: '0.0.0.0' }, abs).overrides, 'listeners')).toBe('CLIENT://0.0.0.0:9500');
    expect(last(resolveBrokerFlags({ configText: '', overrides: [], host: '::1' }, abs).overrides, 'listeners')).toBe('PLAINTEXT://[::1]:9092');
  });

  it('passes an override through untouched for the core parser to judge', () => {
    const r = resolveBrokerFlags({ configText: '', overrides: ['no.such.key=1'] }, abs);
    expect(r.overrides).toContainEqual(['no.such.key', '1']);
  });
});
