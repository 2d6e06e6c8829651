/**
 * The prodguard.yaml that `prodguard init` writes: the seed document's golden rules as defaults,
 * with comments pointing at the section each value comes from.
 */
export interface DefaultConfigOptions {
  projectName: string;
  timezone: string;
  productionBranch: string;
  testCommand: string;
}

export function renderDefaultConfig(options: DefaultConfigOptions): string {
  return `# prodguard.yaml — production-safety rules as code. \`prodguard config schema\` lists every key.
version: 1
project:
  name: ${options.projectName}
timezone: ${options.timezone}          # freeze rules and rollback tag names use this zone

tests:                           # seed §9: every suite must pass before any deploy
  suites:
    - name: tests                # add more tiers as their own suites: unit, integration, …
      command: ${JSON.stringify(options.testCommand)}
      timeout: 30m
  # e2e:                         # seed §9: E2E tests, run by deploys to staging against the new revision (BASE_URL)
  #   command: npm run test:e2e  # production then requires their pass on staging for the same release

changelog: CHANGELOG.md          # seed §1: document all production changes
releaseTag: v{YYYYMMDD}-{HHmm}   # seed §5: annotated rollback tag created by a production deploy

freeze:
  weekdays: [friday]             # golden rule 8: never deploy on Fridays
  windows: []                    # e.g. - { from: 2026-12-24T00:00, to: 2026-12-27T00:00, reason: holidays }

thresholds:                      # seed §6: what to monitor
  errorRate: 5%
  latencyP95: 2s
watch: 10m                       # seed §3 step 6: watch production for 10 minutes after a deploy

coverage:                        # seed §9: coverage minimums; edit the globs to match your code
  summary: coverage/coverage-summary.json
  metric: lines
  groups:
    - name: critical paths
      minimum: 100
      include: ["src/auth/**", "src/payments/**"]
    - name: API endpoints
      minimum: 90
      include: ["src/routes/**", "src/api/**"]
    - name: business logic
      minimum: 85
      include: ["src/services/**", "src/lib/**"]
    - name: overall
      minimum: 80
      include: ["**"]

secrets:
  rotation:                      # seed §7: rotation schedule
    postgres: 90d
    random: 180d

environments:                    # promotion order: local → staging → production
  local: {}
  staging:
    protected: true              # the checklist applies here too
    health:
      url: http://127.0.0.1:4101/health
      timeout: 5s
  production:
    requires: staging            # seed §2: deploy to production only after staging success
    branch: ${options.productionBranch}
    health:
      url: http://127.0.0.1:4102/health
      timeout: 5s

rules: {}                        # per-rule overrides, e.g. no-friday-deploys: { severity: warn }
`;
}
