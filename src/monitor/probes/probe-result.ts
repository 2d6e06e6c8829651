/** One attempt of a probe. `error` is already free of credentials. */
export interface ProbeResult {
  ok: boolean;
  latencyMs: number;
  /** HTTP status, when there was one. */
  status?: number;
  error?: string;
}
