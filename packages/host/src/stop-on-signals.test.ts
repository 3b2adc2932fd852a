// Signals and the launcher's lifeline, the same on every runtime: the first signal drains
// the broker then prints the stop line and exits 0 (1 if the shutdown failed); a second
// signal exits 130 without waiting; stdin's end of file counts as a first signal only when
// watched and only if no signal came first.
import { silentLogger } from '@samsa/broker';
import { describe, expect, it } from 'vitest';
import { SECOND_SIGNAL_EXIT_CODE, stopOnSignals } from './stop-on-signals.ts';
import { fakeHostProcess } from './testing-host-process.ts';

const logger = { ...silentLogger, flush: () => {} };

/** A broker whose shutdown the test completes by hand. */
function pendingBroker() {
  let finish: (error?: Error) => void = () => {};
  let calls = 0;
  const done = new Promise<void>((resolve, reject) => {
    finish = (error) => (error === undefined ? resolve() : reject(error));
  });
  return { shutdown: () => (calls++, done), finish: (error?: Error) => finish(error), calls: () => calls };
}

/** Lets queued promise callbacks run (bounded). */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

describe('stopOnSignals', () => {
  it('drains on the first signal, then prints the stop line and exits 0', async () => {
    const proc = fakeHostProcess();
    const broker = pendingBroker();
    stopOnSignals(broker, logger, proc);
    proc.raise('SIGTERM');
    await settle();
    expect([broker.calls(), proc.exits]).toEqual([1, []]);
    broker.finish();
    await settle();
    expect(proc.stdout).toEqual(['samsa broker stopped cleanly']);
    expect(proc.exits).toEqual([0]);
  });

  it('a second signal exits 130 at once; a failed shutdown exits 1', async () => {
    const proc = fakeHostProcess();
    const broker = pendingBroker();
    stopOnSignals(broker, logger, proc);
    proc.raise('SIGINT');
    proc.raise('SIGINT');
    expect(proc.exits).toEqual([SECOND_SIGNAL_EXIT_CODE]);
    broker.finish(new Error('disk gone'));
    await settle();
    expect(proc.exits).toEqual([SECOND_SIGNAL_EXIT_CODE, 1]);
    expect(proc.stdout).toEqual([]);
    expect(broker.calls()).toBe(1);
  });

  it('stdin closing shuts down when watched, unless a signal came first or stdin keeps being written', async () => {
    const watched = fakeHostProcess();
    const broker = pendingBroker();
    stopOnSignals(broker, logger, watched, { watchStdin: true });
    watched.endStdin('eof');
    await settle();
    expect(broker.calls()).toBe(1);

    const unwatched = fakeHostProcess();
    const other = pendingBroker();
    stopOnSignals(other, logger, unwatched);
    unwatched.endStdin('eof');
    await settle();
    expect(other.calls()).toBe(0);

    const written = fakeHostProcess();
    const third = pendingBroker();
    stopOnSignals(third, logger, written, { watchStdin: true });
    written.endStdin('written');
    await settle();
    expect(third.calls()).toBe(0);

    const signalled = fakeHostProcess();
    const fourth = pendingBroker();
    stopOnSignals(fourth, logger, signalled, { watchStdin: true });
    signalled.raise('SIGTERM');
    signalled.endStdin('eof');
    await settle();
    expect([fourth.calls(), signalled.exits]).toEqual([1, []]);
  });
});
