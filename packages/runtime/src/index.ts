// @samsa/runtime: the interfaces core packages receive. Adapters live in ./node, ./deno
// and ./memory and are imported by their own subpaths so a core package never pulls one in.
export type { FileHandle, FileLock, FileStat, FileSystem, FileSystemErrorCode, FreeSpace, OpenMode, OpenOptions } from './file-system.ts';
export { FileSystemError, basenameOf, dirnameOf, joinPath } from './file-system.ts';
export type { Connection, ConnectionHandlers, ListenOptions, Listener, Transport } from './transport.ts';
export { TransportError } from './transport.ts';
export type { Clock, TimerHandle } from './clock.ts';
export { systemClock } from './clock.ts';
export type { Random } from './random.ts';
export { createRandom, randomSeed } from './random.ts';
export type { Runtime } from './runtime.ts';
