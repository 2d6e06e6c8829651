/**
 * Monthly cost of the staging environment, beside the seed's "~$12/month" (§12: $7 database + $5 Cloud
 * Run). Prices are Google's public us-central1 list prices as last known to this code (2026); they were
 * NOT fetched live from here. Check https://cloud.google.com/sql/pricing and
 * https://cloud.google.com/run/pricing (or the pricing calculator) for your region before relying on them.
 */
export const STAGING_PRICES = Object.freeze({
  source:
    'Google Cloud public list prices, us-central1, as assumed in 2026 (not fetched live; verify on cloud.google.com/sql/pricing and /run/pricing)',
  hoursPerMonth: 730,
  dbF1MicroPerHour: 0.0105,
  sqlSsdPerGbMonth: 0.17,
  sqlBackupPerGbMonth: 0.08,
  secretVersionPerMonth: 0.06,
  freeSecretVersions: 6,
  /** Cloud Run with min instances 0 and test traffic stays in the free tier; the seed budgets $5. */
  cloudRunLowTraffic: 5,
});

export interface StagingCostInput {
  storageGb: number;
  backupGb: number;
  secretVersions: number;
}

export interface StagingCostLine {
  item: string;
  monthlyUsd: number;
}

export function estimateStagingCost(input: StagingCostInput): {
  lines: StagingCostLine[];
  totalUsd: number;
  seedUsd: number;
} {
  const p = STAGING_PRICES;
  const lines: StagingCostLine[] = [
    { item: 'Cloud SQL db-f1-micro (shared core, zonal)', monthlyUsd: p.dbF1MicroPerHour * p.hoursPerMonth },
    {
      item: `Cloud SQL SSD storage (${input.storageGb} GB)`,
      monthlyUsd: p.sqlSsdPerGbMonth * input.storageGb,
    },
    { item: `Cloud SQL backups (~${input.backupGb} GB)`, monthlyUsd: p.sqlBackupPerGbMonth * input.backupGb },
    { item: 'Cloud Run (min instances 0, test traffic)', monthlyUsd: p.cloudRunLowTraffic },
    {
      item: `Secret Manager (${input.secretVersions} active versions, ${p.freeSecretVersions} free)`,
      monthlyUsd: Math.max(0, input.secretVersions - p.freeSecretVersions) * p.secretVersionPerMonth,
    },
  ].map((l) => ({ ...l, monthlyUsd: Math.round(l.monthlyUsd * 100) / 100 }));
  const totalUsd = Math.round(lines.reduce((s, l) => s + l.monthlyUsd, 0) * 100) / 100;
  return { lines, totalUsd, seedUsd: 12 };
}
