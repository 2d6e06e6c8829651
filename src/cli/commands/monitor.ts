import type { Command } from 'commander';
import { readAlertStatus, runMonitor, type TickReport } from '../../monitor/index.js';
import { connectLocalPlatform } from '../../platform/index.js';
import type { CliIo } from '../io.js';
import { printJson, SYMBOL } from '../render.js';
import { workspaceMonitorDeps } from './monitor-wiring.js';
import { globalsOf, styleOf, withWorkspace } from './shared.js';

export function register(program: Command, io: CliIo): void {
  program
    .command('monitor')
    .description('run the monitor on its own against the running agent: probes, alert rules, notifications')
    .option('--once', 'run one evaluation, print it and exit (1 when a page-severity alert is firing)')
    .action(async (flags: { once?: boolean }, command: Command) =>
      withWorkspace(io, command, async (ws) => {
        const json = globalsOf(command).json ?? false;
        const s = styleOf(command, io);
        const platform = connectLocalPlatform(ws.config);
        const onTick = (report: TickReport) => {
          if (json)
            return io.stdout(
              `${JSON.stringify({ at: new Date(report.at).toISOString(), transitions: report.transitions, errors: report.errors })}\n`,
            );
          for (const t of report.transitions) {
            const mark =
              t.kind === 'firing'
                ? s.bad(SYMBOL.fail)
                : t.kind === 'resolved'
                  ? s.ok(SYMBOL.pass)
                  : s.warn(SYMBOL.warn);
            io.stdout(
              `${mark} ${new Date(t.at).toISOString()} ${t.environment} ${t.rule} ${t.kind}: ${t.summary}\n`,
            );
          }
          for (const e of report.errors) io.stderr(`! ${e.environment} ${e.step}: ${e.message}\n`);
        };
        const monitor = runMonitor({
          config: ws.config,
          clock: ws.clock,
          ...(flags.once ? { maxTicks: 1 } : {}),
          deps: workspaceMonitorDeps(ws, io, platform, () => platform.prometheus(), { onTick }),
        });
        const stop = () => void monitor.stop();
        io.signal.addEventListener('abort', stop, { once: true });
        if (!flags.once && !json)
          io.stdout(
            s.dim(
              `Monitoring ${monitor.settings.environments.join(', ')} every ${monitor.settings.tickMs / 1000}s; Ctrl-C stops.\n`,
            ),
          );
        await monitor.stopped;
        io.signal.removeEventListener('abort', stop);
        await platform.close();
        if (flags.once) {
          const firing = readAlertStatus(ws.store, { nowMs: ws.clock.nowMs() });
          if (
            firing.alerts.some(
              (a) => a.state === 'firing' && a.severity === 'page' && a.silencedBy.length === 0,
            )
          )
            io.setExitCode(1);
          if (json) printJson(io, firing);
        }
      }),
    );
}
