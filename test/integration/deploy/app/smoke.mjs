// Smoke test run by the pipeline against the new revision's own URL (BASE_URL): /version answers 200.
const base = process.env.BASE_URL;
if (!base) {
  console.error('BASE_URL is not set');
  process.exit(2);
}
for (let i = 0; i < 3; i++) {
  const response = await fetch(`${base}/version`);
  const body = await response.text();
  if (response.status !== 200) {
    console.error(`GET ${base}/version answered ${response.status}: ${body.trim()}`);
    process.exit(1);
  }
}
console.log(`smoke ok against ${base}`);
