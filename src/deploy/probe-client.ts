/** How analysis sends synthetic requests to a revision's own URL while data is insufficient. */
export interface ProbeClient {
  get(url: string, signal?: AbortSignal): Promise<{ status: number }>;
}

/** Probes over real HTTP (fetch), each bounded by timeoutMs; a socket error counts as status 0. */
export function createHttpProbeClient(timeoutMs = 5000): ProbeClient {
  return {
    async get(url, signal) {
      const timeout = AbortSignal.timeout(timeoutMs);
      try {
        const response = await fetch(url, {
          signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
          headers: { 'user-agent': 'prodguard-probe' },
        });
        await response.arrayBuffer();
        return { status: response.status };
      } catch {
        if (signal?.aborted) throw signal.reason;
        return { status: 0 };
      }
    },
  };
}
