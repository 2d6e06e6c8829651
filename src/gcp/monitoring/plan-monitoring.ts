/** What `prodguard gcp monitoring apply` wants to exist for one Cloud Run service (seed §6). */

export interface MonitoringTarget {
  project: string;
  /** Cloud Run service id. */
  service: string;
  /** Public host of the service, e.g. api-abc123-ew.a.run.app. */
  host: string;
  healthPath: string;
  /** Notification channel names (projects/P/notificationChannels/N); empty = alerts show in the console only. */
  notificationChannels?: readonly string[];
  errorRate?: number;
  latencyP95Ms?: number;
  /** 503s in 5 minutes that alert (the seed's `--condition-threshold-value=5`). */
  max503?: number;
}

export type MonitoringResource =
  | { kind: 'uptimeCheckConfig'; displayName: string; body: Record<string, unknown> }
  | { kind: 'alertPolicy'; displayName: string; body: Record<string, unknown> };

const RUN = (metric: string, service: string, extra = '') =>
  `metric.type="run.googleapis.com/${metric}" AND resource.type="cloud_run_revision" AND resource.labels.service_name="${service}"${extra}`;

/**
 * The seed's monitoring as resources: an uptime check every 60 s from three regions, and three alert
 * policies. The error-rate policy is a real ratio (5xx requests over all requests, via
 * `denominatorFilter`), not a raw count of 5xx that would page on busy days and stay silent on quiet ones.
 */
export function planMonitoring(t: MonitoringTarget): MonitoringResource[] {
  const errorRate = t.errorRate ?? 0.05;
  const p95 = t.latencyP95Ms ?? 2_000;
  const max503 = t.max503 ?? 5;
  const perService = (aligner: string, reducer: string) => [
    {
      alignmentPeriod: '60s',
      perSeriesAligner: aligner,
      crossSeriesReducer: reducer,
      groupByFields: ['resource.labels.service_name'],
    },
  ];
  const policy = (
    displayName: string,
    documentation: string,
    conditionThreshold: Record<string, unknown>,
  ) => ({
    kind: 'alertPolicy' as const,
    displayName,
    body: {
      displayName,
      documentation: { content: documentation, mimeType: 'text/markdown' },
      combiner: 'OR',
      enabled: true,
      userLabels: { 'prodguard-managed': 'true' },
      notificationChannels: [...(t.notificationChannels ?? [])],
      conditions: [{ displayName, conditionThreshold }],
    },
  });
  return [
    {
      kind: 'uptimeCheckConfig',
      displayName: `prodguard ${t.service} health`,
      body: {
        displayName: `prodguard ${t.service} health`,
        monitoredResource: { type: 'uptime_url', labels: { project_id: t.project, host: t.host } },
        httpCheck: {
          requestMethod: 'GET',
          path: t.healthPath,
          port: 443,
          useSsl: true,
          validateSsl: true,
          acceptedResponseStatusCodes: [{ statusClass: 'STATUS_CLASS_2XX' }],
        },
        period: '60s',
        timeout: '10s',
        selectedRegions: ['USA', 'EUROPE', 'ASIA_PACIFIC'],
        userLabels: { 'prodguard-managed': 'true' },
      },
    },
    policy(
      `prodguard ${t.service} error rate > ${Math.round(errorRate * 100)}%`,
      `5xx responses over all responses of Cloud Run service ${t.service} stayed above ${errorRate * 100}% for 5 minutes (seed §6).`,
      {
        filter: RUN('request_count', t.service, ' AND metric.labels.response_code_class="5xx"'),
        aggregations: perService('ALIGN_DELTA', 'REDUCE_SUM'),
        denominatorFilter: RUN('request_count', t.service),
        denominatorAggregations: perService('ALIGN_DELTA', 'REDUCE_SUM'),
        comparison: 'COMPARISON_GT',
        thresholdValue: errorRate,
        duration: '300s',
        trigger: { count: 1 },
      },
    ),
    policy(
      `prodguard ${t.service} p95 latency > ${p95 / 1000}s`,
      `The 95th percentile of request latency of ${t.service} stayed above ${p95} ms for 5 minutes (seed §6).`,
      {
        filter: RUN('request_latencies', t.service),
        aggregations: perService('ALIGN_DELTA', 'REDUCE_PERCENTILE_95'),
        comparison: 'COMPARISON_GT',
        thresholdValue: p95,
        duration: '300s',
        trigger: { count: 1 },
      },
    ),
    policy(
      `prodguard ${t.service} 503 errors`,
      `More than ${max503} responses with status 503 from ${t.service} within 5 minutes (seed §6).`,
      {
        filter: RUN('request_count', t.service, ' AND metric.labels.response_code="503"'),
        aggregations: [
          {
            alignmentPeriod: '300s',
            perSeriesAligner: 'ALIGN_DELTA',
            crossSeriesReducer: 'REDUCE_SUM',
            groupByFields: ['resource.labels.service_name'],
          },
        ],
        comparison: 'COMPARISON_GT',
        thresholdValue: max503,
        duration: '0s',
        trigger: { count: 1 },
      },
    ),
  ];
}

export type MonitoringChange =
  | { action: 'create'; resource: MonitoringResource }
  | { action: 'update'; resource: MonitoringResource; name: string; fields: string[] }
  | { action: 'unchanged'; resource: MonitoringResource; name: string };

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Pure: which resources to create, which fields to update (only the fields prodguard sets), which are fine. */
export function diffMonitoring(
  wanted: readonly MonitoringResource[],
  existing: { uptimeCheckConfigs: Record<string, unknown>[]; alertPolicies: Record<string, unknown>[] },
): MonitoringChange[] {
  return wanted.map((resource) => {
    const pool = resource.kind === 'uptimeCheckConfig' ? existing.uptimeCheckConfigs : existing.alertPolicies;
    const found = pool.find((r) => r.displayName === resource.displayName);
    if (!found) return { action: 'create', resource };
    const name = String(found.name);
    const fields = Object.keys(resource.body).filter((k) => !same(resource.body[k], found[k]));
    return fields.length === 0
      ? { action: 'unchanged', resource, name }
      : { action: 'update', resource, name, fields };
  });
}

export function renderMonitoringDiff(changes: readonly MonitoringChange[]): string {
  return changes
    .map((c) => {
      const what = `${c.resource.kind === 'uptimeCheckConfig' ? 'uptime check' : 'alert policy'} "${c.resource.displayName}"`;
      if (c.action === 'create') return `+ create ${what}`;
      if (c.action === 'update') return `~ update ${what}: ${c.fields.join(', ')}`;
      return `= ${what} is up to date`;
    })
    .join('\n');
}
