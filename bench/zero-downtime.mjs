// Zero downtime: a steady closed-loop load (≥ 20,000 requests, concurrency ≥ 50) through the router while
// traffic moves A→B→A again and again (all at once and in canary steps), with the revision taken out of
// traffic stopped (drained) and restarted in between. Counts failed requests: non-2xx or socket errors.
//
//   npm run build && node bench/zero-downtime.mjs [--requests 20000] [--concurrency 50] [--quick]
//   --quick: 3,000 requests at concurrency 10 (CI runs it so the bench keeps working; not a measurement).
import './shared/bench-sandbox.mjs';
import { arg, createBenchRepo, runLoad, startPlatform } from './router.mjs';

async function main() {
  const quick = process.argv.includes('--quick');
  const requests = quick ? arg('requests', 3_000) : Math.max(20_000, arg('requests', 20_000));
  const concurrency = quick ? arg('concurrency', 10) : Math.max(50, arg('concurrency', 50));
  const repo = await createBenchRepo();
  const { platform, deploy, stop } = await startPlatform(repo);
  try {
    const a = await deploy(repo.head());
    const b = await deploy(repo.commit({ version: 'b' }));
    await platform.setTraffic('staging', [{ revision: a.name, percent: 100 }]);
    const url = `http://127.0.0.1:${repo.routerPort}`;
    const switches = [];
    let loadDone = false;
    const switcher = (async () => {
      const plans = [
        { label: 'A→B all at once', steps: [[b, 100]] },
        { label: 'B→A all at once (rollback)', steps: [[a, 100]] },
        {
          label: 'A→B canary 10/50/100',
          steps: [
            [b, 10],
            [b, 50],
            [b, 100],
          ],
        },
        {
          label: 'B→A canary 10/50/100',
          steps: [
            [a, 10],
            [a, 50],
            [a, 100],
          ],
        },
      ];
      let current = a;
      for (let i = 0; !loadDone; i++) {
        const plan = plans[i % plans.length];
        for (const [target, percent] of plan.steps) {
          if (loadDone) break;
          await new Promise((r) => setTimeout(r, 150));
          const other = target === a ? b : a;
          await platform.setTraffic(
            'staging',
            percent === 100
              ? [{ revision: target.name, percent: 100 }]
              : [
                  { revision: other.name, percent: 100 - percent },
                  { revision: target.name, percent },
                ],
          );
        }
        switches.push(plan.label);
        const previous = current;
        current = plan.steps.at(-1)[0];
        // Every other cycle the revision that lost its traffic is drained, stopped and started again.
        if (i % 2 === 1 && previous !== current && !loadDone) {
          await platform.stopRevision('staging', previous.name);
          await platform.startRevision('staging', previous.name);
          await platform.waitReady('staging', previous.name, 20_000);
          switches.push(`drained, stopped and restarted ${previous === a ? 'A' : 'B'}`);
        }
      }
    })();
    const result = await runLoad({ url, seconds: 120, concurrency, maxRequests: requests, path: '/' });
    loadDone = true;
    await switcher;
    const metrics = await platform.getMetrics('staging', 180_000);
    const counts = Object.fromEntries(metrics.map((m) => [m.revision === a.name ? 'A' : 'B', m.requests]));
    console.log(
      `${result.requests} requests at concurrency ${concurrency} in ${result.seconds.toFixed(1)} s (${Math.round(result.rps)} req/s, p99 ${result.p99.toFixed(1)} ms)`,
    );
    console.log(`${switches.length} traffic operations during the load:`);
    const tally = {};
    for (const s of switches) tally[s] = (tally[s] ?? 0) + 1;
    for (const [label, n] of Object.entries(tally)) console.log(`  ${String(n).padStart(3)} × ${label}`);
    console.log(`served by A: ${counts.A ?? 0}, by B: ${counts.B ?? 0} (router metrics)`);
    console.log(`failed requests (non-2xx or socket errors): ${result.failed} (goal 0)`);
    if (result.failed > 0) {
      const kinds = {};
      for (const f of result.failures) kinds[f] = (kinds[f] ?? 0) + 1;
      console.log(kinds);
      process.exitCode = 1;
    }
  } finally {
    await stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
