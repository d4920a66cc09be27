import { once } from 'node:events';
import type { MessageProducer } from '@idem/core';
import { producerMessages } from '../producer-messages.js';

/**
 * The body of a producer service as a child process, the same for both adapters: prints `ready`
 * once `producer` started, sends five messages once it reads a line on stdin (the test takes the
 * broker down first), prints one JSON line with the outcome statuses, then `stopped` after
 * `stop()`. It never calls process.exit: the test checks that the process ends by itself.
 */
export async function runProducerProcess(producer: MessageProducer): Promise<void> {
  await producer.start();
  process.stdout.write('ready\n');
  await once(process.stdin, 'data');
  // An open stdin would keep the process alive; the point is that nothing else does.
  process.stdin.destroy();
  const outcomes = await producer.send(producerMessages('orders', 5, 'child'));
  process.stdout.write(`${JSON.stringify(outcomes.map((outcome) => outcome.status))}\n`);
  await producer.stop();
  process.stdout.write('stopped\n');
}
