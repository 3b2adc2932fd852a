/**
 * Why a broker start failed, as the one line and exit code `samsa broker` and the Deno
 * broker print. Runtime-free (no runtime modules), so the Deno app shares it; a runtime passes
 * `explainRuntime` for the failures only it can name (Deno's permission errors).
 *
 * Order matters: errors that carry their own explanation (the data-dir lock, missing
 * metadata, joining the cluster: etcd unreachable or the node id taken) first, then a port in use, a read-only file system, a permission.
 */
import { ClusterMemberStartError, DataDirLockedError, MetadataMissingError } from '@samsa/broker';
import type { ServerConfig } from '@samsa/broker';
import { CliError, ExitCode } from './cli-error.ts';
import type { HostLogger } from './host-process.ts';

export interface ExplainOptions {
  /** Already printed by the start-failure report: the CLI exits without printing again. */
  readonly printed?: boolean;
  /** A runtime's own explanation, tried after the lock and port checks; null: none. */
  readonly explainRuntime?: (error: unknown, text: string, printed: { readonly printed?: boolean }) => CliError | null;
}

export function explainStartFailure(error: unknown, config: ServerConfig, adminPort: number | undefined, options: ExplainOptions = {}): CliError {
  const printed = { printed: options.printed === true };
  if (error instanceof DataDirLockedError || error instanceof MetadataMissingError || error instanceof ClusterMemberStartError) return new CliError(error.message, ExitCode.failure, printed);
  const e = error as { code?: string; message?: string; path?: string; cause?: { name?: string } };
  // Deno names a bind failure in the cause (AddrInUse); Node in the code (EADDRINUSE).
  const text = `${e.code ?? ''} ${e.cause?.name ?? ''} ${e.message ?? String(error)}`;
  const l = config.listeners[0]!;
  if (/address-in-use|EADDRINUSE|AddrInUse/i.test(text)) {
    return new CliError(
      `cannot listen: ${l.host || '0.0.0.0'}:${l.port}${adminPort !== undefined ? ` or admin port ${adminPort}` : ''} is already in use. Stop the other process or pass --port (and --admin-port) with free ports.`,
      ExitCode.failure,
      printed,
    );
  }
  const runtime = options.explainRuntime?.(error, text, printed) ?? null;
  if (runtime !== null) return runtime;
  if (e.code === 'read-only' || /EROFS/.test(text)) {
    return new CliError(
      `cannot start: the data dir ${config.logDirs.join(',')} is on a read-only file system${e.path ? ` (${e.path} cannot be created or written)` : ''}. Remount it read-write or pass --data-dir on a writable file system.`,
      ExitCode.failure,
      printed,
    );
  }
  if (/EACCES|PermissionDenied|permission/i.test(text)) {
    return new CliError(`cannot start: permission denied (${e.message}). Check that the data dir ${config.logDirs.join(',')} is writable and the port is allowed.`, ExitCode.failure, printed);
  }
  return new CliError(`broker failed to start: ${e.message ?? String(error)}`, ExitCode.failure, printed);
}

/**
 * The `onStartFailure` hook both apps give the start: the cause first (logged, flushed,
 * one `samsa: …` line on stderr), before the broker closes what it opened, which may take
 * a while.
 */
export function startFailureReporter(
  logger: HostLogger,
  explain: (error: unknown) => CliError,
  writeStderrLine: (line: string) => void,
): (error: unknown) => void {
  return (error) => {
    const explained = explain(error);
    logger.error({ err: error }, 'start failed; closing what was opened');
    logger.flush();
    writeStderrLine(`samsa: ${explained.message}`);
  };
}
