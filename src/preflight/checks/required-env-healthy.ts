import { formatDuration } from '../../kernel/duration.js';
import type { RuleCheck } from '../../rules/index.js';
import type { PreflightContext } from '../preflight-context.js';

export interface HealthProbe {
  ok: boolean;
  status?: number;
  latencyMs: number;
  error?: string;
}

/** GETs a health URL with a deadline; never throws. */
export async function probeHealth(url: string, timeoutMs: number): Promise<HealthProbe> {
  const started = performance.now();
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
    // A body cut off mid-way is an unhealthy answer: the catch below reports it.
    await response.arrayBuffer();
    return {
      ok: response.status >= 200 && response.status < 300,
      status: response.status,
      latencyMs: Math.round(performance.now() - started),
    };
  } catch (error) {
    const latencyMs = Math.round(performance.now() - started);
    const name = error instanceof Error ? error.name : '';
    const cause =
      error instanceof Error && error.cause instanceof Error
        ? error.cause.message
        : error instanceof Error
          ? error.message
          : String(error);
    return {
      ok: false,
      latencyMs,
      error: name === 'TimeoutError' ? `no answer within ${formatDuration(timeoutMs)}` : cause,
    };
  }
}

export const requiredEnvHealthyCheck: RuleCheck<PreflightContext> = {
  ruleId: 'required-env-healthy',
  async run(ctx) {
    const required = ctx.config.environments[ctx.environment]?.requires;
    if (!required) return { status: 'skipped', message: `${ctx.environment} requires no other environment` };
    const health = ctx.config.environments[required]?.health;
    if (!health && ctx.requiredHealthFromPlatform) {
      return {
        status: 'skipped',
        message: `${required} has no health URL; staging-first judges its health on the platform`,
      };
    }
    if (!health) {
      return {
        status: 'fail',
        message: `${required} has no health URL, so prodguard cannot confirm it works`,
        hint: `Set environments.${required}.health.url in prodguard.yaml.`,
      };
    }
    const probe = await probeHealth(health.url, health.timeout);
    const where = `${required} ${health.url}`;
    if (probe.ok)
      return {
        status: 'pass',
        message: `${where} answered ${probe.status} in ${probe.latencyMs} ms`,
        details: { ...probe },
      };
    return {
      status: 'fail',
      message: probe.status
        ? `${where} answered ${probe.status} in ${probe.latencyMs} ms`
        : `${where}: ${probe.error}`,
      hint: `Fix ${required} first (golden rule 2); production deploys wait for a healthy ${required}.`,
      details: { ...probe },
    };
  },
};
