/** Trusted, fully-resolved monitor settings (durations in ms, ratios as fractions). Built by normalizeMonitorSettings. */

export type AlertSeverity = 'page' | 'ticket';

export interface BurnRateWindow {
  longMs: number;
  shortMs: number;
  burnRate: number;
  severity: AlertSeverity;
}

export interface RuleTimings {
  /** How long the condition must hold before the alert fires (`for:`). */
  forMs: number;
  /** How long a firing alert stays firing after the condition clears (`keep_firing_for`). */
  keepFiringForMs: number;
}

export interface MonitorRuleSettings {
  errorRatio: RuleTimings & { threshold: number; windowMs: number };
  latencyP95: RuleTimings & { thresholdMs: number; windowMs: number };
  unavailable: RuleTimings & { count: number; windowMs: number };
  healthDown: RuleTimings;
  databaseErrors: RuleTimings & { count: number; windowMs: number };
  restarts: RuleTimings & { count: number; windowMs: number };
  poolExhaustion: RuleTimings;
  slo: { target: number; windows: BurnRateWindow[]; keepFiringForMs: number };
}

export interface HttpProbeSettings {
  kind: 'http';
  name: string;
  /** Absolute URL; when absent, the environment's router URL (from the Platform) plus `path`. */
  url?: string;
  path: string;
  intervalMs: number;
  timeoutMs: number;
  /** Consecutive failures before DOWN (Uptime Kuma maxretries). */
  retries: number;
  /** Consecutive successes before UP again, against flapping. */
  upRetries: number;
  /** Accepted status range. */
  expectStatus: [number, number];
}

export interface TcpProbeSettings {
  kind: 'tcp';
  name: string;
  host: string;
  port: number;
  intervalMs: number;
  timeoutMs: number;
  retries: number;
  upRetries: number;
}

export interface DatabaseProbeSettings {
  kind: 'database';
  name: string;
  /** The connection URL comes from this environment variable or secret, never from the config text. */
  urlFrom: { env: string } | { secret: string };
  intervalMs: number;
  timeoutMs: number;
  retries: number;
  upRetries: number;
}

export type ProbeSettings = HttpProbeSettings | TcpProbeSettings | DatabaseProbeSettings;

export interface GroupingSettings {
  groupWaitMs: number;
  groupIntervalMs: number;
  repeatIntervalMs: number;
}

/** A secret reference: an environment variable, or a secret in the vault pinned for an environment. */
export type SecretRef = { env: string } | { secret: string; environment?: string };

export interface WebhookNotifierSettings {
  kind: 'webhook';
  name: string;
  url: string;
  /** HMAC-SHA256 key. */
  secret?: SecretRef;
  severities: AlertSeverity[];
}
export interface SlackNotifierSettings {
  kind: 'slack';
  name: string;
  /** The incoming-webhook URL holds its token, so it is a secret reference too. */
  url: SecretRef | string;
  severities: AlertSeverity[];
}
export interface EmailNotifierSettings {
  kind: 'email';
  name: string;
  host: string;
  port: number;
  secure: boolean;
  user?: string;
  password?: SecretRef;
  from: string;
  to: string[];
  severities: AlertSeverity[];
}
export interface ConsoleNotifierSettings {
  kind: 'console';
  name: string;
  severities: AlertSeverity[];
}
export type NotifierSettings =
  | WebhookNotifierSettings
  | SlackNotifierSettings
  | EmailNotifierSettings
  | ConsoleNotifierSettings;

export interface DeliverySettings {
  attempts: number;
  backoffMs: number;
  timeoutMs: number;
}

export interface MonitorSettings {
  environments: string[];
  /** Environments whose operations (deploy, rotation, migration, maintenance) send notices. */
  protectedEnvironments: string[];
  tickMs: number;
  appMetricsPath: string | null;
  probes: Record<string, ProbeSettings[]>;
  /** Per environment: the environment's own thresholds override the top-level ones. */
  rules: Record<string, MonitorRuleSettings>;
  grouping: GroupingSettings;
  notifiers: NotifierSettings[];
  delivery: DeliverySettings;
  silenceDefaultMs: number;
  probeRetentionMs: number;
  /** Longest window any rule reads (the 3-day burn window by default). */
  seriesRetentionMs: number;
}
