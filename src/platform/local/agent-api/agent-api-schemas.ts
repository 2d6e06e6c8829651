import { z } from 'zod';
import type { MaintenanceSettings, RevisionSpec, TrafficTarget } from '../../platform.js';

/** Longest wait a caller may ask of `:waitReady` (a day); timers past 2^31-1 ms would fire at once. */
export const MAX_WAIT_READY_MS = 86_400_000;
/** Wait used when a `:waitReady` body gives no timeoutMs. */
export const DEFAULT_WAIT_READY_MS = 60_000;
/** Longest metrics window a caller may ask for (the routers keep less; they answer with what they have). */
export const MAX_METRICS_WINDOW_MS = 86_400_000;
export const DEFAULT_METRICS_WINDOW_MS = 60_000;

const name = z.string().min(1, 'Expected a non-empty string');
const stringMap = z.record(z.string(), z.string());

/**
 * Body of `POST /v2/services/{service}/revisions`. The shape checks stay at the wire; rules about what the
 * values mean (digest matches the build, secret pins resolve) stay in the platform so every implementation agrees.
 */
export const createRevisionBody = z.strictObject({
  /** Optional echo of the path's service; when present it must match. */
  service: name.optional(),
  release: z.strictObject({ commit: name, digest: name }),
  env: stringMap,
  secrets: z
    .record(z.string(), z.strictObject({ version: z.number().int().positive(), envVar: name }))
    .optional(),
  labels: stringMap.optional(),
  runtime: name.optional(),
});

export const waitReadyBody = z.strictObject({
  timeoutMs: z
    .number()
    .min(0, 'Expected a timeout of 0 ms or more')
    .max(MAX_WAIT_READY_MS, `Expected a timeout of at most ${MAX_WAIT_READY_MS} ms (24 h)`)
    .optional(),
});

/** Percent ranges and sums are the platform's rule (PRODGUARD_PLATFORM_TRAFFIC_INVALID); the wire checks types. */
export const trafficTarget = z.strictObject({
  revision: name,
  percent: z.number(),
  tag: z.string().optional(),
});

export const setTrafficBody = z.strictObject({ targets: z.array(trafficTarget) });

export const maintenanceSettings = z.strictObject({
  message: z.string(),
  until: z
    .string()
    .refine((text) => !Number.isNaN(Date.parse(text)), {
      message: 'Expected an ISO 8601 time such as 2026-01-07T12:00:00Z',
    })
    .optional(),
});

/** `settings: null` turns maintenance off; the key itself is required so an empty body is not "off" by accident. */
export const setMaintenanceBody = z.strictObject({ settings: maintenanceSettings.nullable() });

/** `POST …:start`, `…:stop` and `/v2/agent:shutdown` take no fields (an empty body or `{}`). */
export const emptyBody = z.strictObject({});

export const metricsQuery = z.strictObject({
  windowMs: z.coerce
    .number<string>()
    .refine(Number.isFinite, 'Expected a number of milliseconds')
    .pipe(
      z
        .number()
        .positive('Expected a window over 0 ms')
        .max(MAX_METRICS_WINDOW_MS, `Expected a window of at most ${MAX_METRICS_WINDOW_MS} ms (24 h)`),
    )
    .optional(),
});

// Compile-time links to the Platform types: a field added to the port without its wire schema fails typecheck.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const linked: [
  Same<z.infer<typeof createRevisionBody>, Omit<RevisionSpec, 'service'> & { service?: string | undefined }>,
  Same<z.infer<typeof trafficTarget>, TrafficTarget>,
  Same<z.infer<typeof maintenanceSettings>, MaintenanceSettings>,
] = [true, true, true];
void linked;
