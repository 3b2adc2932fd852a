/**
 * `--native-gzip` for the benches: installs the apps' gzip accelerator (node:zlib, from
 * @samsa/runtime/node/accelerators, through @samsa/host) into the codec the bench imports.
 * The bench and the host both import '@samsa/codec' by name, so they share one codec module
 * as long as both resolve it the same way (built, or both with `--conditions=source`); this
 * checks that the decompressor did land in the bench's codec and exits otherwise rather
 * than measure pako under the wrong label.
 */
import { nativeDecompressor } from '@samsa/codec';

export async function installNativeGzipIfAsked(): Promise<void> {
  if (!process.argv.includes('--native-gzip')) {
    console.log('gzip decompressor: pako (pure JS); pass --native-gzip for node:zlib');
    return;
  }
  const { installAccelerators } = await import('@samsa/host');
  const { loadNativeGunzip } = await import('@samsa/runtime/node/accelerators');
  const { silentLogger } = await import('@samsa/broker');
  const result = installAccelerators({ gunzip: loadNativeGunzip() }, silentLogger).gzip;
  if (result.implementation !== 'native' || nativeDecompressor('gzip') === null) {
    console.error(`--native-gzip: not installed in this codec (${result.reason ?? 'the bench and @samsa/host resolved different @samsa/codec modules'})`);
    process.exit(1);
  }
  console.log('gzip decompressor: node:zlib (native)');
}
