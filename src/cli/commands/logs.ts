import type { Command } from 'commander';
import { assertEnvironment } from '../../config/index.js';
import { redactText } from '../../kernel/redact.js';
import { agentPaths, followRevisionLogs, type LogLine, readRevisionLogs } from '../../platform/index.js';
import type { CliIo } from '../io.js';
import { globalsOf, parseDurationOption, parseTimeOption, withWorkspace } from './shared.js';

export function register(program: Command, io: CliIo): void {
  program
    .command('logs')
    .description(
      "read an environment's revision logs (stdout, stderr and prodguard's own notes), oldest first",
    )
    .argument('<env>', 'environment')
    .option('--revision <name>', 'only this revision')
    .option('--since <time|duration>', 'ISO time, or a duration back from now such as 10m')
    .option('--tail <n>', 'only the last n lines', (v) => Number.parseInt(v, 10))
    .option('-f, --follow', 'keep printing new lines until Ctrl-C')
    .action(
      async (
        env: string,
        options: { revision?: string; since?: string; tail?: number; follow?: boolean },
        command: Command,
      ) =>
        withWorkspace(io, command, async (ws) => {
          const json = globalsOf(command).json;
          const since = options.since
            ? /^\d+(\.\d+)?(ms|s|m|h|d|w)$/.test(options.since)
              ? new Date(ws.clock.nowMs() - parseDurationOption('--since', options.since)!)
              : parseTimeOption('--since', options.since)
            : undefined;
          assertEnvironment(ws.config, env);
          // A Cloud Run environment's logs are in Cloud Logging (entries:list).
          const gcp = await import('../../gcp/open-gcp.js');
          const cloud = gcp.cloudRunBindings(ws.config).get(env);
          if (cloud) {
            const transport = gcp.openGcpTransport({ env: ws.env, clock: ws.clock });
            const query = {
              environment: env,
              ...(options.revision ? { revision: options.revision } : {}),
              ...(since ? { since } : {}),
              ...(options.tail !== undefined ? { tail: options.tail } : {}),
            };
            if (options.follow) {
              const { followCloudRunLogs } = await import('../../gcp/cloudrun/follow-cloud-run-logs.js');
              await followCloudRunLogs(
                transport,
                cloud,
                {
                  ...query,
                  clock: ws.clock,
                  signal: io.signal,
                  onPollError: (error, n) =>
                    io.stderr(
                      `warning: Cloud Logging did not answer (${n} in a row), trying again: ${error.message}\n`,
                    ),
                },
                printLines(io, json, options.revision),
              );
              return;
            }
            const { readCloudRunLogs } = await import('../../gcp/cloudrun/read-cloud-run-logs.js');
            printLines(io, json, options.revision)(await readCloudRunLogs(transport, cloud, query));
            return;
          }
          assertEnvironment(ws.config, env);
          const logsDir = agentPaths(ws.config.stateDirPath).logs;
          const query = {
            logsDir,
            service: env,
            ...(options.revision ? { revision: options.revision } : {}),
            ...(since ? { since } : {}),
          };
          const print = printLines(io, json, options.revision);
          print(
            readRevisionLogs({ ...query, ...(options.tail !== undefined ? { tail: options.tail } : {}) }),
          );
          if (options.follow)
            await followRevisionLogs({ ...query, clock: ws.clock, signal: io.signal }, print);
        }),
    );
}

/** One line per entry, credentials masked: the same for the local agent's files and Cloud Logging. */
function printLines(io: CliIo, json: boolean | undefined, revision: string | undefined) {
  return (lines: LogLine[]) => {
    for (const raw of lines) {
      const line = { ...raw, text: redactText(raw.text) };
      io.stdout(
        json
          ? `${JSON.stringify(line)}\n`
          : `${line.at} ${revision ? '' : `${line.revision} `}${line.stream.padEnd(3)} ${line.text}\n`,
      );
    }
  };
}
