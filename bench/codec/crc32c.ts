/**
 * CRC-32C throughput: pure JS slicing-by-16 (the default in @samsa/codec) and
 * @node-rs/crc32's native crc32c (SSE4.2), both direct and installed through
 * `setCrc32cImplementation`, on 16 KiB (a typical produced batch) and 1 MiB buffers. Each
 * figure is printed next to a Uint8Array.set copy of the same bytes in the same run.
 * Run: npm run bench -- codec-crc32c
 */
import { createRequire } from 'node:module';
import { measure, report } from '@samsa/bench';
import type { MeasureOptions, Measurement } from '@samsa/bench';
import { both, measureCpu, reportBoth } from './cpu-time.ts';
import { crc32c, crc32cPureJs, setCrc32cImplementation } from '@samsa/codec';

// @node-rs/crc32 is a CommonJS addon: loaded through require, as apps/broker-node does.
const require = createRequire(import.meta.url);
const native = require('@node-rs/crc32') as { crc32c(input: Uint8Array, initial?: number): number };

/** What @samsa/runtime/node would install: a Buffer view over the range, no copy. */
function nativeRange(bytes: Uint8Array, start: number, end: number, initial: number): number {
  if (start < 0 || end > bytes.length || start > end) throw new RangeError(`crc32c range [${start}, ${end})`);
  return native.crc32c(Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start), initial);
}


async function main(): Promise<void> {
  for (const size of [16 * 1024, 1024 * 1024]) {
    const reps = Math.max(1, Math.floor((32 * 1024 * 1024) / size));
    const data = new Uint8Array(size);
    for (let i = 0; i < size; i++) data[i] = (i * 2654435761) >>> 24;
    const target = new Uint8Array(size);
    if (crc32cPureJs(data) !== nativeRange(data, 0, size, 0)) throw new Error('pure JS and native disagree');
    const units = size * reps;
    const label = size >= 1024 * 1024 ? `${size / 1024 / 1024} MiB` : `${size / 1024} KiB`;
    console.log(`-- ${label} buffers`);
    const copy = await both({ name: 'Uint8Array.set copy', unit: 'B', unitsPerRound: units, rounds: 15 }, () => {
      for (let i = 0; i < reps; i++) target.set(data);
    });
    let sink = 0;
    const pure = await both({ name: `crc32c pure JS slicing-by-16 (${label})`, unit: 'B', unitsPerRound: units, rounds: 15 }, () => {
      for (let i = 0; i < reps; i++) sink ^= crc32cPureJs(data, 0, size, 0);
    });
    const direct = await both({ name: `crc32c @node-rs/crc32 direct (${label})`, unit: 'B', unitsPerRound: units, rounds: 15 }, () => {
      for (let i = 0; i < reps; i++) sink ^= nativeRange(data, 0, size, 0);
    });
    setCrc32cImplementation(nativeRange);
    const hooked = await both({ name: `crc32c() with native installed (${label})`, unit: 'B', unitsPerRound: units, rounds: 15 }, () => {
      for (let i = 0; i < reps; i++) sink ^= crc32c(data);
    });
    setCrc32cImplementation(null);
    reportBoth(pure, copy);
    reportBoth(direct, copy);
    reportBoth(hooked, copy);
    if (sink === 0.5) console.log(sink);
  }
}

await main();
