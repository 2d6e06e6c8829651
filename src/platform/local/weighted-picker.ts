/**
 * Smooth weighted round-robin (the nginx algorithm): deterministic, and spreads picks evenly instead of
 * sending runs of requests to one revision. 90/10 gives 9 A then 1 B per 10 picks, interleaved.
 */
export interface WeightedChoice<T> {
  value: T;
  weight: number;
}

export class WeightedPicker<T> {
  readonly #choices: readonly WeightedChoice<T>[];
  readonly #current: number[];
  readonly #total: number;

  constructor(choices: readonly WeightedChoice<T>[]) {
    this.#choices = choices.filter((c) => c.weight > 0);
    this.#current = this.#choices.map(() => 0);
    this.#total = this.#choices.reduce((sum, c) => sum + c.weight, 0);
  }

  get size(): number {
    return this.#choices.length;
  }

  /** Next value among those `eligible` accepts; undefined when none is eligible. */
  pick(eligible: (value: T) => boolean = () => true): T | undefined {
    let best = -1;
    let total = 0;
    for (let i = 0; i < this.#choices.length; i++) {
      const choice = this.#choices[i]!;
      if (!eligible(choice.value)) continue;
      this.#current[i]! += choice.weight;
      total += choice.weight;
      if (best < 0 || this.#current[i]! > this.#current[best]!) best = i;
    }
    if (best < 0) return undefined;
    this.#current[best]! -= total;
    return this.#choices[best]!.value;
  }

  get totalWeight(): number {
    return this.#total;
  }
}
