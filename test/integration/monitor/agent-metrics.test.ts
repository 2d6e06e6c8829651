import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/index.js';
import { ManualClock } from '../../../src/kernel/clock.js';
import { silentLogger } from '../../../src/kernel/logger.js';
import { MonitorStore, runMonitor } from '../../../src/monitor/index.js';
import { StateStore } from '../../../src/store/index.js';
import { createPlatformFixture, httpGet, type PlatformFixture } from '../platform/platform-fixture.js';

let fx: PlatformFixture;
beforeAll(async () => {
  fx = await createPlatformFixture();
}, 120_000);
afterAll(async () => {
  await fx?.close();
});

describe('the monitor on a real agent', () => {
  it("probes through the router without counting as traffic, and its series join the agent's /metrics", async () => {
    const rev = await fx.revision(await fx.commit({ version: 'm1' }));
    await fx.platform.setTraffic('staging', [{ revision: rev.name, percent: 100 }]);
    const service = await fx.platform.getService('staging');
    for (let i = 0; i < 5; i++) await httpGet(`${service.url}/`);
    const store = StateStore.open(':memory:');
    const clock = new ManualClock();
    const config = parseConfigText(
      `version: 1
project: { name: tiny }
app: { healthPath: /health }
environments:
  staging: {}
monitor:
  appMetricsPath: null
  probes:
    staging:
      - { kind: http, name: health, interval: 10s, retries: 0, upRetries: 1 }
`,
      '/tmp/prodguard.yaml',
    );
    const running = runMonitor({
      config,
      clock,
      maxTicks: 0,
      deps: {
        store,
        platform: fx.platform,
        routerMetrics: () => fx.agent.agent.metrics.registry.metrics(),
        lookup: async () => '',
        write: () => {},
        log: silentLogger,
      },
    });
    await running.stopped;
    fx.agent.agent.addMetricsSource(() => running.metrics.text());
    for (let i = 0; i < 3; i++) {
      const report = await running.engine.tick();
      expect(report.probes.staging).toMatchObject([{ state: 'up' }]);
      clock.advance(10_000);
    }
    // 5 user requests; the 3 health probes went through the router but are not user traffic.
    const [metrics] = await fx.platform.getMetrics('staging', 60_000);
    expect(metrics!.requests).toBe(5);
    const text = await fx.platform.prometheus();
    expect(text).toContain(
      `prodguard_router_requests_total{service="staging",revision="${rev.name}",status_class="2xx"} 5`,
    );
    expect(text).toContain('prodguard_monitor_probe_up{environment="staging",probe="health",kind="http"} 1');
    expect(new MonitorStore(store).readProbeResults({ environment: 'staging' })).toHaveLength(3);
    store.close();
  });
});
