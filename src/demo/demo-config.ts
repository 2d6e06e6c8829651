/**
 * The demo's prodguard.yaml: the init defaults, with the analysis tightened so the tour takes
 * minutes instead of the seed's 10-minute watch, and the démo's own quirks commented.
 */
export function demoConfig(options: { agentPort: number }): string {
  return `version: 1
project:
  name: cvstomize-api
timezone: UTC
# The demo app is a workspace of prodguard's own repository and uses its node_modules: its state and built
# releases sit beside the demo repo (under .demo/), where Node finds them. A real app's build installs its own.
stateDir: ../state
tests:
  command: node --check server.js && node --check src/app.js
changelog: CHANGELOG.md
freeze:
  weekdays: []            # the demo must run on a Friday too; a real team keeps [friday]
watch: 8s                 # seed: 10m; shortened for the demo
thresholds:
  errorRate: 5%
  latencyP95: 2s
app:
  start: node server.js
  healthPath: /health
  startupTimeout: 30s
  drainTimeout: 5s
  agentPort: ${options.agentPort}
  env:
    NODE_ENV: production
    RELEASE: "{commit}"
deploy:
  strategy: all-at-once
  stepDuration: 4s
  smoke:
    command: node scripts/smoke.mjs
    timeout: 60s
  analysis:
    interval: 1s
    window: 5s
    consecutiveBreaches: 2
    minRequests: 10
    holdTimeout: 30s
secrets:
  groupRole: cvstomize_app     # owns the tables; members cvstomize_app_a and _b take turns (alternating users)
  propagationInterval: 500ms
database:
  migrations: prisma/migrations
  shadowUrlEnv: DEMO_SHADOW_DATABASE_URL
environments:
  staging:
    protected: true
    database:
      urlEnv: STAGING_DATABASE_URL
  production:
    requires: staging
    branch: main
    database:
      urlEnv: PRODUCTION_DATABASE_URL
rules:
  coverage-minimums: { severity: warn }   # the example app ships no coverage report
  up-to-date: { severity: warn }          # the demo repository has no remote
`;
}
