/**
 * One-sided normal quantile z for a confidence in (0.5, 1): P(Z ≤ z) = confidence. Abramowitz & Stegun
 * 26.2.23, absolute error below 4.5e-4, plenty for a decision threshold.
 *
 * @example normalQuantile(0.95) // ≈ 1.645
 */
export function normalQuantile(confidence: number): number {
  if (!(confidence > 0.5 && confidence < 1)) throw new RangeError(`confidence ${confidence} not in (0.5, 1)`);
  const t = Math.sqrt(-2 * Math.log(1 - confidence));
  return (
    t -
    (2.515517 + 0.802853 * t + 0.010328 * t * t) / (1 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t ** 3)
  );
}

/**
 * Lower end of the Wilson score interval: with `confidence`, the true error rate behind `errors` of
 * `requests` is at least this. Unlike the raw ratio it accounts for sample size, so 2 errors in 20
 * requests (10 %) is weak evidence of a rate above 5 %, while 50 in 100 is overwhelming.
 *
 * @example wilsonLowerBound(50, 100, 0.999) // ≈ 0.35
 */
export function wilsonLowerBound(errors: number, requests: number, confidence: number): number {
  if (requests <= 0) return 0;
  const z = normalQuantile(confidence);
  const p = Math.min(1, Math.max(0, errors / requests));
  const z2 = z * z;
  const centre = p + z2 / (2 * requests);
  const spread = z * Math.sqrt((p * (1 - p)) / requests + z2 / (4 * requests * requests));
  return Math.max(0, (centre - spread) / (1 + z2 / requests));
}
