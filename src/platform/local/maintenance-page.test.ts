import { describe, expect, it } from 'vitest';
import { renderMaintenancePage } from './maintenance-page.js';

describe('renderMaintenancePage', () => {
  const now = Date.parse('2026-01-01T10:00:00Z');
  it('answers JSON with Retry-After from until', () => {
    const page = renderMaintenancePage(
      { message: 'Upgrading the database', until: '2026-01-01T10:05:00Z' },
      'application/json',
      now,
    );
    expect(page.status).toBe(503);
    expect(page.headers['retry-after']).toBe('300');
    expect(JSON.parse(page.body)).toEqual({
      error: 'maintenance',
      message: 'Upgrading the database',
      until: '2026-01-01T10:05:00Z',
      retryAfterSeconds: 300,
    });
  });

  it('answers escaped HTML otherwise', () => {
    const page = renderMaintenancePage({ message: '<b>back soon</b>' }, 'text/html', now);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).toContain('&lt;b&gt;back soon&lt;/b&gt;');
    expect(page.headers['retry-after']).toBe('300');
  });
});
