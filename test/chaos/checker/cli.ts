/**
 * The checker's command line:
 *
 *   node --import tsx test/chaos/checker/cli.ts --final final.json [--out report.json] history1.jsonl [history2.jsonl …]
 *
 * Prints the summary (report.ts) on stdout, writes the JSON report to --out, and exits 0
 * when the run is safe, 1 when it is not, 2 on bad input (a malformed file, an unknown
 * op, wrong arguments; the message on stderr names the file and line), 3 when the checker
 * itself fails (a bug, or the report cannot be written).
 */
import { writeFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { readFinalRead } from './final-read.ts';
import { mergeHistories, readHistoryFile } from './history.ts';
import { CheckerInputError } from './input-error.ts';
import { check, type Report, summarize } from './report.ts';

const USAGE = 'usage: cli.ts --final final.json [--out report.json] history.jsonl [history.jsonl …]';

/** Reads the files and checks them: what the CLI does, for a harness that runs it in-process. */
export async function checkFiles(finalPath: string, historyPaths: readonly string[]): Promise<Report> {
  const files = [];
  for (const path of historyPaths) files.push(await readHistoryFile(path));
  return check(mergeHistories(files), await readFinalRead(finalPath));
}

/** The CLI without process I/O: the summary and the exit code (throws CheckerInputError on bad input). */
export async function runChecker(argv: readonly string[]): Promise<{ exitCode: number; output: string }> {
  let args;
  try {
    args = parseArgs({ args: [...argv], options: { final: { type: 'string' }, out: { type: 'string' } }, allowPositionals: true });
  } catch (e) {
    throw new CheckerInputError('BAD_ARGUMENTS', `${(e as Error).message}\n${USAGE}`);
  }
  const { final: finalPath, out } = args.values;
  if (finalPath === undefined || args.positionals.length === 0) throw new CheckerInputError('BAD_ARGUMENTS', USAGE);
  const report = await checkFiles(finalPath, args.positionals);
  if (out !== undefined) await writeFile(out, `${JSON.stringify(report, null, 2)}\n`);
  return { exitCode: report.safe ? 0 : 1, output: summarize(report) };
}

async function main(): Promise<void> {
  try {
    const { exitCode, output } = await runChecker(process.argv.slice(2));
    process.stdout.write(`${output}\n`);
    process.exitCode = exitCode;
  } catch (e) {
    // Exit 1 means "unsafe": a crash of the checker itself must not look like one.
    process.stderr.write(e instanceof CheckerInputError ? `checker: ${e.message}\n` : `checker: internal error: ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = e instanceof CheckerInputError ? 2 : 3;
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
