import { randomUUID } from 'node:crypto';
import type { Clock } from '../kernel/clock.js';
import { UsageError } from '../kernel/errors.js';
import type { AuditPort } from './audit-port.js';
import type { MonitorStore } from './monitor-store.js';
import { formatMatcher, isSilenceActive, type LabelMatcher, type Silence } from './silence-matchers.js';

export interface SilencePorts {
  store: MonitorStore;
  clock: Clock;
  audit: AuditPort;
}

/** Creates a silence: audited first (no audit, no silence), then stored. */
export function createSilence(
  ports: SilencePorts,
  input: {
    matchers: LabelMatcher[];
    durationMs?: number;
    endsAt?: Date;
    reason: string;
    actor: string;
    defaultMs: number;
  },
): Silence {
  if (input.matchers.length === 0) {
    throw new UsageError('PRODGUARD_MONITOR_SILENCE_EMPTY', 'A silence needs at least one matcher.', {
      hint: 'Example: prodguard silence add env=production alertname=health-down --duration 1h --reason "planned failover"',
    });
  }
  if (!input.reason.trim()) {
    throw new UsageError('PRODGUARD_MONITOR_SILENCE_REASON', 'A silence needs a reason.', {
      hint: 'Say why the alerts may be ignored; it is audited and shown in `silence list`.',
    });
  }
  const now = ports.clock.nowMs();
  const endsAt = input.endsAt?.getTime() ?? now + (input.durationMs ?? input.defaultMs);
  if (endsAt <= now) {
    throw new UsageError('PRODGUARD_MONITOR_SILENCE_PAST', 'The silence would end before it starts.', {
      hint: 'Give --duration 2h or an --until in the future.',
    });
  }
  const silence: Silence = {
    id: randomUUID().slice(0, 8),
    matchers: input.matchers,
    startsAt: now,
    endsAt,
    createdBy: input.actor,
    reason: input.reason,
    expiredAt: null,
  };
  const env = input.matchers.find((m) => m.name === 'env' && m.operator === '=')?.value;
  ports.audit.append({
    actor: input.actor,
    ...(env ? { environment: env } : {}),
    action: 'silence.create',
    target: silence.id,
    reason: input.reason,
    outcome: 'success',
    details: { matchers: input.matchers.map(formatMatcher), endsAt: new Date(endsAt).toISOString() },
  });
  ports.store.insertSilence(silence);
  return silence;
}

export function expireSilence(
  ports: SilencePorts,
  input: { id: string; actor: string; reason?: string },
): Silence {
  const silence = ports.store.readSilences().find((s) => s.id === input.id);
  if (!silence) {
    throw new UsageError('PRODGUARD_MONITOR_SILENCE_NOT_FOUND', `No silence ${input.id}.`, {
      hint: 'List them with `prodguard silence list`.',
    });
  }
  const now = ports.clock.nowMs();
  if (!isSilenceActive(silence, now) && silence.startsAt <= now) {
    throw new UsageError('PRODGUARD_MONITOR_SILENCE_EXPIRED', `Silence ${input.id} has already ended.`, {
      hint: 'Nothing to do; `prodguard silence list --all` shows ended silences.',
    });
  }
  ports.audit.append({
    actor: input.actor,
    action: 'silence.expire',
    target: silence.id,
    ...(input.reason ? { reason: input.reason } : {}),
    outcome: 'success',
    details: { matchers: silence.matchers.map(formatMatcher) },
  });
  ports.store.expireSilence(silence.id, now);
  return { ...silence, expiredAt: now };
}

export function listSilences(ports: Pick<SilencePorts, 'store' | 'clock'>, options: { all?: boolean } = {}) {
  const now = ports.clock.nowMs();
  return ports.store
    .readSilences()
    .filter((s) => options.all || isSilenceActive(s, now))
    .map((s) => ({ ...s, active: isSilenceActive(s, now) }));
}
