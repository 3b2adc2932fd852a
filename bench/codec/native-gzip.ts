/**
 * `--native-gzip` for the benches: installs the apps' gzip accelerator (node:zlib, from
 * @samsa/runtime/node/accelerators, through @samsa/host) into the codec the bench imports.
 * The host imports '@samsa/codec', so the bench must run
 * with the `source` condition (npx tsx --conditions=source ...) for both to be one module;
 * this checks that and exits otherwise rather than measure pako under the wrong label.
 */
import { nativeDecompressor } from '../../packages/codec/src/index.ts';

export async function installNativeGzipIfAsked(): Promise<void> {
  if (!process.argv.includes('--native-gzip')) {
    console.log('gzip decompressor: pako (pure JS); pass --native-gzip for node:zlib');
    return;
  }
  const { installAccelerators } = await import('../../packages/host/src/index.ts');
  const { loadNativeGunzip } = await import('../../packages/runtime/src/node/accelerators/index.ts');
  const { silentLogger } = await import('../../packages/broker/src/index.ts');
  const result = installAccelerators({ gunzip: loadNativeGunzip() }, silentLogger).gzip;
  if (result.implementation !== 'native' || nativeDecompressor('gzip') === null) {
    console.error(`--native-gzip: not installed in this codec (${result.reason ?? 'run with npx tsx --conditions=source'})`);
    process.exit(1);
  }
  console.log('gzip decompressor: node:zlib (native)');
}
