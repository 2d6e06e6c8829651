// E2E suite run by the pipeline against the staging revision's own URL (BASE_URL): a user's path through
// the app, / then /health, each answering 200.
const base = process.env.BASE_URL;
if (!base) {
  console.error('BASE_URL is not set');
  process.exit(2);
}
for (const path of ['/', '/health']) {
  const response = await fetch(`${base}${path}`);
  if (response.status !== 200) {
    console.error(`GET ${base}${path} answered ${response.status}`);
    process.exit(1);
  }
}
console.log(`e2e scenarios passed against ${base} (${process.env.PRODGUARD_ENVIRONMENT})`);
