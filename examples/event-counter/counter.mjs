// An event-sourced counter on @samsa/log (see README.md):
//   node counter.mjs inc 5      append an event { type: 'increment', by: 5 }
//   node counter.mjs reset      append { type: 'reset' }
//   node counter.mjs show       replay every event and print the count
//   node counter.mjs notify     print the events the 'notifier' cursor has not seen, then commit
// DATA_DIR (default ./data) holds the log.
import { jsonSerde, openRecordLog } from '@samsa/log';
import { nodeRuntime } from '@samsa/runtime/node';

const [command = 'show', argument] = process.argv.slice(2);
const log = await openRecordLog(`${process.env.DATA_DIR ?? './data'}/counter`, { runtime: nodeRuntime(), valueSerde: jsonSerde(), durability: 'fsync' });
try {
  if (command === 'inc') {
    const by = Number(argument ?? 1);
    if (!Number.isSafeInteger(by)) throw new RangeError(`inc needs an integer, got ${argument}`);
    const { offset } = await log.append({ value: { type: 'increment', by } });
    console.log(`event ${offset}: increment by ${by}`);
  } else if (command === 'reset') {
    const { offset } = await log.append({ value: { type: 'reset' } });
    console.log(`event ${offset}: reset`);
  } else if (command === 'show') {
    let count = 0;
    for await (const { value } of log.stream()) count = value.type === 'reset' ? 0 : count + value.by;
    console.log(`count ${count}`);
  } else if (command === 'notify') {
    const notifier = log.cursor('notifier');
    for await (const record of notifier.stream()) {
      console.log(`new event ${record.offset}: ${JSON.stringify(record.value)}`);
      await notifier.commit(record); // a crash after this line never repeats this event
    }
  } else {
    throw new RangeError(`unknown command ${command}: inc [n] | reset | show | notify`);
  }
} finally {
  await log.close();
}
