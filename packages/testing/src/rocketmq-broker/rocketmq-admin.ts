import { spawn } from 'node:child_process';
import { appendFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { RocketMQBrokerError } from './rocketmq-broker-error.js';
import { tailLines } from './run-command.js';

/** Message type a topic accepts: the proxy rejects sends of any other type. */
export type RocketMQTopicType = 'NORMAL' | 'FIFO' | 'DELAY' | 'TRANSACTION';

/** A topic to create. */
export interface RocketMQTopicSpec {
  readonly name: string;
  /** `NORMAL` by default. */
  readonly type?: RocketMQTopicType;
  /**
   * Read and write queues; 1 by default. `rocketmq-client-nodejs` 1.0.8's Producer writes queue
   * 0 only (its load balancer compares the queue id with the master broker id), so messages
   * from Node all land there; its SimpleConsumer still receives from every queue, because the
   * proxy pops all queues of the broker whichever queue the request names.
   */
  readonly queues?: number;
}

/** A consumer group to create. */
export interface RocketMQGroupSpec {
  readonly name: string;
  /** Deliver in order per message group (FIFO topics). */
  readonly fifo?: boolean;
  /** Redeliveries before the message goes to the dead-letter queue; the broker's default is 16. */
  readonly maxRetryTimes?: number;
}

/** Where and how to run `mqadmin`. */
export interface AdminToolContext {
  readonly java: string;
  readonly classpath: string;
  readonly jvmArgs: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly namesrvAddress: string;
  readonly clusterName: string;
  /** Every command's output is appended here. */
  readonly logFile: string;
  readonly timeoutMs: number;
}

const ADMIN_MAIN = 'org.apache.rocketmq.tools.command.MQAdminStartup';

/** `mqadmin updateTopic` arguments for `spec` on every broker of the cluster. */
export function updateTopicArgs(
  spec: RocketMQTopicSpec,
  namesrvAddress: string,
  clusterName: string,
): string[] {
  const queues = String(spec.queues ?? 1);
  return [
    'updateTopic',
    ...['-n', namesrvAddress, '-c', clusterName, '-t', spec.name, '-r', queues, '-w', queues],
    ...['-a', `+message.type=${spec.type ?? 'NORMAL'}`],
  ];
}

/** `mqadmin updateSubGroup` arguments for `spec` on every broker of the cluster. */
export function updateGroupArgs(
  spec: RocketMQGroupSpec,
  namesrvAddress: string,
  clusterName: string,
): string[] {
  return [
    'updateSubGroup',
    ...['-n', namesrvAddress, '-c', clusterName, '-g', spec.name],
    ...(spec.maxRetryTimes === undefined ? [] : ['-r', String(spec.maxRetryTimes)]),
    ...(spec.fifo === true ? ['-o', 'true'] : []),
  ];
}

/** Creates or updates a topic with RocketMQ's own admin tool. */
export async function createTopicWithAdmin(
  context: AdminToolContext,
  spec: RocketMQTopicSpec,
): Promise<void> {
  await runIdempotentAdminCommand(
    context,
    updateTopicArgs(spec, context.namesrvAddress, context.clusterName),
    /create topic to \S+ success\./,
  );
}

/** Creates or updates a consumer group with RocketMQ's own admin tool. */
export async function createGroupWithAdmin(
  context: AdminToolContext,
  spec: RocketMQGroupSpec,
): Promise<void> {
  await runIdempotentAdminCommand(
    context,
    updateGroupArgs(spec, context.namesrvAddress, context.clusterName),
    /create subscription group to \S+ success\./,
  );
}

/**
 * Runs an update command up to three times: updates are idempotent, and on a heavily loaded
 * machine (load 9 on 2 cores) one start failed on a single unconfirmed update; the tool's RPCs
 * time out after 3 s (`mqClientApiTimeout`).
 */
async function runIdempotentAdminCommand(
  context: AdminToolContext,
  args: readonly string[],
  success: RegExp,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await runAdminCommand(context, args, success);
      return;
    } catch (error) {
      if (attempt >= 3 || !(error instanceof RocketMQBrokerError) || error.code !== 'ADMIN_COMMAND_FAILED')
        throw error;
      await sleep(1000);
    }
  }
}

/**
 * Runs one `MQAdminStartup` command and resolves once it printed `success`.
 *
 * The tool is SIGKILLed as soon as it confirmed: the broker has applied the change by then, and
 * the tool's own client shutdown spends ~6 s joining idle service threads (measured with 5.5.0),
 * which would triple the time every topic and group costs.
 */
export async function runAdminCommand(
  context: AdminToolContext,
  args: readonly string[],
  success: RegExp,
): Promise<void> {
  const child = spawn(context.java, [...context.jvmArgs, '-cp', context.classpath, ADMIN_MAIN, ...args], {
    env: context.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const outcome = await new Promise<'success' | 'exited' | 'timeout' | Error>((resolve) => {
    const timer = setTimeout(() => resolve('timeout'), context.timeoutMs);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      if (success.test(output)) {
        clearTimeout(timer);
        resolve('success');
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('error', (error) => {
      clearTimeout(timer);
      resolve(error);
    });
    child.once('close', () => {
      clearTimeout(timer);
      resolve(success.test(output) ? 'success' : 'exited');
    });
  });
  child.kill('SIGKILL');
  await appendFile(context.logFile, `$ mqadmin ${args.join(' ')}\n${output}\n`).catch(() => {});
  if (outcome === 'success') return;
  const command = `mqadmin ${args.join(' ')}`;
  if (outcome instanceof Error) {
    throw new RocketMQBrokerError(
      'ADMIN_COMMAND_FAILED',
      `\`${command}\` could not start: ${outcome.message}`,
      {
        cause: outcome,
      },
    );
  }
  const how = outcome === 'timeout' ? `did not confirm within ${context.timeoutMs} ms` : 'failed';
  throw new RocketMQBrokerError('ADMIN_COMMAND_FAILED', `\`${command}\` ${how}:\n${tailLines(output, 20)}`);
}
