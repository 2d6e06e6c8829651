import type { MaintenanceSettings } from '../platform.js';

export interface MaintenanceResponse {
  status: 503;
  headers: Record<string, string>;
  body: string;
}

/** Seconds until `until`, at least 1; 300 when no end time was given. */
export function retryAfterSeconds(settings: MaintenanceSettings, nowMs: number): number {
  if (!settings.until) return 300;
  const until = new Date(settings.until).getTime();
  if (Number.isNaN(until)) return 300;
  return Math.max(1, Math.ceil((until - nowMs) / 1000));
}

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

/** The 503 the router serves in maintenance: JSON when the client asks for it, HTML otherwise. */
export function renderMaintenancePage(
  settings: MaintenanceSettings,
  accept: string | undefined,
  nowMs: number,
): MaintenanceResponse {
  const retryAfter = String(retryAfterSeconds(settings, nowMs));
  const common = { 'retry-after': retryAfter, 'cache-control': 'no-store' };
  if (accept?.includes('application/json')) {
    return {
      status: 503,
      headers: { ...common, 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({
        error: 'maintenance',
        message: settings.message,
        ...(settings.until ? { until: settings.until } : {}),
        retryAfterSeconds: Number(retryAfter),
      }),
    };
  }
  const until = settings.until ? `<p>Expected back: ${escapeHtml(settings.until)}</p>` : '';
  return {
    status: 503,
    headers: { ...common, 'content-type': 'text/html; charset=utf-8' },
    body: `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Down for maintenance</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; padding: 0 1rem">
<h1>Down for maintenance</h1>
<p>${escapeHtml(settings.message)}</p>
${until}</body></html>
`,
  };
}
