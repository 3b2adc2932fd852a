/**
 * `--native-gzip` for the benches: installs apps/broker-node's gzip accelerator (node:zlib)
 * into the codec the bench imports. The bench and the app both import '@samsa/codec' by
 * name, so they share one codec module as long as both resolve it the same way (built, or
 * both with `--conditions=source`); this checks that the decompressor did land in the
 * bench's codec and exits otherwise rather than measure pako under the wrong label.
 */
import { nativeDecompressor } from '@samsa/codec';

export async function installNativeGzipIfAsked(): Promise<void> {
  if (!process.argv.includes('--native-gzip')) {
    console.log('gzip decompressor: pako (pure JS); pass --native-gzip for node:zlib');
    return;
  }
  const { installGzipAccelerator } = await import('@samsa/broker-node');
  const result = installGzipAccelerator();
  if (result.implementation !== 'native' || nativeDecompressor('gzip') === null) {
    console.error(`--native-gzip: not installed in this codec (${result.reason ?? 'the bench and @samsa/broker-node resolved different @samsa/codec modules'})`);
    process.exit(1);
  }
  console.log('gzip decompressor: node:zlib (native)');
}
