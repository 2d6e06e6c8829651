import { Counter, Gauge, Registry } from 'prom-client';
import type { AlertRecord } from './alert-lifecycle.js';
import type { ProbeStatus } from './evaluate-rules.js';
import type { DeliveryRecord } from './notifiers/deliver-notification.js';

/**
 * Prometheus view of the monitor: probe results, rule states and notifier deliveries. The agent's
 * /metrics appends `text()` to its own exposition.
 */
export class MonitorMetrics {
  readonly registry = new Registry();
  readonly #probeUp: Gauge<'environment' | 'probe' | 'kind'>;
  readonly #probeLatency: Gauge<'environment' | 'probe' | 'kind'>;
  readonly #probeChecks: Counter<'environment' | 'probe' | 'kind' | 'result'>;
  readonly #deliveries: Counter<'notifier' | 'kind' | 'status'>;
  readonly #attempts: Counter<'notifier' | 'kind'>;
  #alerts: readonly AlertRecord[] = [];

  constructor() {
    this.#probeUp = new Gauge({
      name: 'prodguard_monitor_probe_up',
      help: 'Probe state: 1 up, 0 down, 0.5 pending (failing, retries left).',
      labelNames: ['environment', 'probe', 'kind'],
      registers: [this.registry],
    });
    this.#probeLatency = new Gauge({
      name: 'prodguard_monitor_probe_latency_seconds',
      help: 'Latency of the last check.',
      labelNames: ['environment', 'probe', 'kind'],
      registers: [this.registry],
    });
    this.#probeChecks = new Counter({
      name: 'prodguard_monitor_probe_checks_total',
      help: 'Checks run, by result.',
      labelNames: ['environment', 'probe', 'kind', 'result'],
      registers: [this.registry],
    });
    this.#deliveries = new Counter({
      name: 'prodguard_monitor_deliveries_total',
      help: 'Notifications handed to a notifier, by final status (delivered or failed after every retry).',
      labelNames: ['notifier', 'kind', 'status'],
      registers: [this.registry],
    });
    this.#attempts = new Counter({
      name: 'prodguard_monitor_delivery_attempts_total',
      help: 'Delivery attempts, retries included.',
      labelNames: ['notifier', 'kind'],
      registers: [this.registry],
    });
    const alerts = () => this.#alerts;
    new Gauge({
      name: 'prodguard_monitor_alerts',
      help: 'Alerts by state (like Prometheus ALERTS): 1 for each pending or firing alert.',
      labelNames: ['environment', 'alertname', 'severity', 'alertstate', 'fingerprint'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const a of alerts()) {
          if (a.state === 'inactive') continue;
          this.set(
            {
              environment: a.environment,
              alertname: a.rule,
              severity: a.severity,
              alertstate: a.state,
              fingerprint: a.fingerprint,
            },
            1,
          );
        }
      },
    });
    new Gauge({
      name: 'prodguard_monitor_rule_value',
      help: 'Last evaluated value of each rule (ratio, ms, count or burn rate); absent when there is no data.',
      labelNames: ['environment', 'alertname', 'fingerprint'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const a of alerts()) {
          if (a.value === null) continue;
          this.set({ environment: a.environment, alertname: a.rule, fingerprint: a.fingerprint }, a.value);
        }
      },
    });
  }

  observeProbe(environment: string, probe: ProbeStatus): void {
    const labels = { environment, probe: probe.name, kind: probe.kind };
    this.#probeUp.set(labels, probe.state === 'up' ? 1 : probe.state === 'pending' ? 0.5 : 0);
    if (probe.latencyMs !== undefined) this.#probeLatency.set(labels, probe.latencyMs / 1000);
    this.#probeChecks.inc({ ...labels, result: probe.error ? 'failure' : 'success' });
  }

  observeAlerts(alerts: readonly AlertRecord[]): void {
    this.#alerts = alerts;
  }

  observeDelivery(delivery: DeliveryRecord): void {
    this.#attempts.inc({ notifier: delivery.notifier, kind: delivery.kind });
    if (delivery.status !== 'pending')
      this.#deliveries.inc({ notifier: delivery.notifier, kind: delivery.kind, status: delivery.status });
  }

  /** Text exposition, to append to the agent's /metrics. */
  text(): Promise<string> {
    return this.registry.metrics();
  }
}
