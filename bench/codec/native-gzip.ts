/**
 * `--native-gzip` for the benches: installs apps/broker-node's gzip accelerator (node:zlib)
 * into the codec the bench imports. The app imports '@samsa/codec', so the bench must run
 * with the `source` condition (npx tsx --conditions=source ...) for both to be one module;
 * this checks that and exits otherwise rather than measure pako under the wrong label.
 */
import { nativeDecompressor } from '../../packages/codec/src/index.ts';

export async function installNativeGzipIfAsked(): Promise<void> {
  if (!process.argv.includes('--native-gzip')) {
    console.log('gzip decompressor: pako (pure JS); pass --native-gzip for node:zlib');
    return;
  }
  const { installGzipAccelerator } = await import('../../apps/broker-node/src/gzip-accelerator.ts');
  const result = installGzipAccelerator();
  if (result.implementation !== 'native' || nativeDecompressor('gzip') === null) {
    console.error(`--native-gzip: not installed in this codec (${result.reason ?? 'run with npx tsx --conditions=source'})`);
    process.exit(1);
  }
  console.log('gzip decompressor: node:zlib (native)');
}
