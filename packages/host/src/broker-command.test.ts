// The `broker` command both apps run: flags parse into the options the action gets (the
// repeatable --override collected, numbers checked), a bad value is a CliError exit 2
// naming the flag, --log-level takes its default from the app; exitCodeFor maps commander's
// outcomes, CliErrors and bugs to 0/2/1/70 with at most one stderr line.
import { describe, expect, it } from 'vitest';
import { brokerCommand } from './broker-command.ts';
import type { BrokerCommandOptions } from './broker-command.ts';
import { CliError, ExitCode } from './cli-error.ts';
import { exitCodeFor } from './cli-exit.ts';

async function parse(args: string[], logLevelDefault?: string): Promise<BrokerCommandOptions> {
  let got: BrokerCommandOptions | null = null;
  const command = brokerCommand({ logLevelDefault, action: async (o) => void (got = o) });
  command.exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  await command.parseAsync(args, { from: 'user' });
  return got!;
}

describe('brokerCommand', () => {
  it('parses the flags into the action options', async () => {
    const o = await parse(['-c', 'server.properties', '-o', 'a=1', '--override', 'b=2', '-p', '19092', '-H', '::1', '-d', '/d', '--node-id', '7', '--admin-port', '0', '--recover-metadata-from-logs']);
    expect(o).toEqual({ config: 'server.properties', override: ['a=1', 'b=2'], port: 19092, host: '::1', dataDir: '/d', nodeId: 7, adminPort: 0, recoverMetadataFromLogs: true, logLevel: 'info' });
    expect((await parse([], 'warn')).logLevel).toBe('warn');
    expect((await parse(['--log-level', 'debug'], 'warn')).logLevel).toBe('debug');
  });

  it('refuses a bad number with a CliError naming the flag (exit 2)', async () => {
    const port = await parse(['--port', '70000']).catch((e: unknown) => e);
    expect(port).toBeInstanceOf(CliError);
    expect([(port as CliError).exitCode, (port as CliError).message]).toEqual([2, '--port must be between 0 and 65535 (got 70000)']);
    const node = await parse(['--node-id', 'x']).catch((e: unknown) => e);
    expect((node as CliError).message).toBe('--node-id must be an integer (got "x")');
  });

  it('maps outcomes to exit codes, printing at most one line', async () => {
    const lines: string[] = [];
    const write = (text: string): void => void lines.push(text);
    const unknownFlag = await parse(['--no-such-flag']).catch((e: unknown) => e);
    expect(exitCodeFor(unknownFlag, write)).toBe(ExitCode.usage);
    const help = await parse(['--help']).catch((e: unknown) => e);
    expect(exitCodeFor(help, write)).toBe(ExitCode.ok);
    expect(lines).toEqual([]);
    expect(exitCodeFor(new CliError('port in use', ExitCode.failure), write)).toBe(1);
    expect(exitCodeFor(new CliError('already said', ExitCode.failure, { printed: true }), write)).toBe(1);
    expect(lines).toEqual(['samsa: port in use\n']);
    expect(exitCodeFor(new TypeError('oops'), write)).toBe(ExitCode.bug);
    expect(lines[1]).toMatch(/^samsa: unexpected error \(a bug; please report it\):\nTypeError: oops/);
  });
});
