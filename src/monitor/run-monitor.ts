import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Config } from '../config/index.js';
import type { Clock } from '../kernel/clock.js';
import { ProdguardError } from '../kernel/errors.js';
import type { Logger } from '../kernel/logger.js';
import type { Platform } from '../platform/index.js';
import type { StateStore } from '../store/index.js';
import type { AlertRecord } from './alert-lifecycle.js';
import { MonitorEngine, type MonitorEngineDeps, type TickReport } from './monitor-engine.js';
import { MonitorMetrics } from './monitor-metrics.js';
import type { MonitorSettings } from './monitor-settings.js';
import { MonitorStore } from './monitor-store.js';
import { normalizeMonitorSettings } from './normalize-monitor-settings.js';
import { createNotifiers } from './notifiers/create-notifiers.js';
import type { Notifier, SecretLookup } from './notifiers/notification-message.js';

export interface RunMonitorDeps {
  store: StateStore;
  platform: Pick<Platform, 'getService' | 'listRevisions'>;
  routerMetrics: () => Promise<string>;
  lookup: SecretLookup;
  /** Where the console notifier writes. */
  write: (line: string) => void;
  log: Logger;
  knownSecrets?: () => readonly string[];
  onFiring?: (alert: AlertRecord) => Promise<void> | void;
  fetchText?: MonitorEngineDeps['fetchText'];
  signals?: MonitorEngineDeps['signals'];
  /** Replaces the configured notifiers (tests). */
  notifiers?: readonly Notifier[];
  metrics?: MonitorMetrics;
  /** Called after each tick (the CLI prints changes; tests wait on it). */
  onTick?: (report: TickReport) => void;
}

export interface RunningMonitor {
  readonly engine: MonitorEngine;
  readonly metrics: MonitorMetrics;
  readonly settings: MonitorSettings;
  /** Resolves once the loop has stopped and pending deliveries finished. */
  readonly stopped: Promise<void>;
  stop(): Promise<void>;
}

/** Builds the engine for a config (also used by `up` and by one-shot commands that only need settings). */
export function createMonitorEngine(
  config: Config,
  clock: Clock,
  deps: RunMonitorDeps,
): { engine: MonitorEngine; metrics: MonitorMetrics; settings: MonitorSettings } {
  const settings = normalizeMonitorSettings(config);
  const metrics = deps.metrics ?? new MonitorMetrics();
  const notifiers =
    deps.notifiers ??
    createNotifiers(settings.notifiers, {
      clock,
      lookup: deps.lookup,
      write: deps.write,
      delivery: settings.delivery,
    });
  const engine = new MonitorEngine(settings, {
    clock,
    store: new MonitorStore(deps.store),
    platform: deps.platform,
    routerMetrics: deps.routerMetrics,
    notifiers,
    lookup: deps.lookup,
    metrics,
    log: deps.log,
    ...(deps.fetchText ? { fetchText: deps.fetchText } : {}),
    ...(deps.knownSecrets ? { knownSecrets: deps.knownSecrets } : {}),
    ...(deps.onFiring ? { onFiring: deps.onFiring } : {}),
    ...(deps.signals ? { signals: deps.signals } : {}),
  });
  return { engine, metrics, settings };
}

/**
 * The monitor loop: tick, then sleep `monitor.tick` on the injected clock, until stop(). Used inside
 * `prodguard up` and by `prodguard monitor`. A failing tick is logged and the loop goes on: the monitor
 * must outlive the outage it reports.
 */
export function runMonitor(options: {
  config: Config;
  clock: Clock;
  deps: RunMonitorDeps;
  maxTicks?: number;
}): RunningMonitor {
  const { engine, metrics, settings } = createMonitorEngine(options.config, options.clock, options.deps);
  const lease = new MonitorStore(options.deps.store);
  const owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  // A lease outlives a few missed ticks, so a monitor that crashed is replaced within a minute.
  const ttlMs = Math.max(30_000, settings.tickMs * 3);
  const claimed = lease.claimLease(owner, options.clock.nowMs(), ttlMs);
  if (!claimed.ok) {
    throw new ProdguardError(
      'PRODGUARD_MONITOR_ALREADY_RUNNING',
      `Another monitor (${claimed.holder}) watches this project until ${new Date(claimed.expiresAt).toISOString()} unless it renews.`,
      {
        kind: 'refused',
        hint: 'One monitor per project: `prodguard up` runs one; stop the other, or start up with --no-monitor.',
      },
    );
  }
  const controller = new AbortController();
  const loop = (async () => {
    for (
      let n = 0;
      !controller.signal.aborted && (options.maxTicks === undefined || n < options.maxTicks);
      n++
    ) {
      const renewed = lease.claimLease(owner, options.clock.nowMs(), ttlMs);
      if (!renewed.ok) {
        options.deps.log.error(
          `monitor: ${renewed.holder} took over this project's monitoring; this monitor stops`,
        );
        break;
      }
      try {
        const report = await engine.tick();
        options.deps.onTick?.(report);
      } catch (error) {
        options.deps.log.error(
          `monitor tick failed: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
      if (controller.signal.aborted) break;
      try {
        await options.clock.sleep(settings.tickMs, controller.signal);
      } catch {
        break; // aborted while sleeping
      }
    }
    await engine.idle();
    lease.releaseLease(owner);
  })();
  return {
    engine,
    metrics,
    settings,
    stopped: loop,
    async stop() {
      controller.abort();
      await loop;
    },
  };
}
