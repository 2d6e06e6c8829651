import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configJsonSchema } from './schema.js';

describe('prodguard.schema.json', () => {
  it('is the JSON Schema generated from the zod schema (regenerate with `npm run schema`)', () => {
    const committed = JSON.parse(
      readFileSync(new URL('../../prodguard.schema.json', import.meta.url), 'utf8'),
    );
    expect(committed).toEqual(configJsonSchema());
  });

  it('documents every top-level key', () => {
    const schema = configJsonSchema() as { properties: Record<string, { description?: string }> };
    const undocumented = Object.entries(schema.properties)
      .filter(([, value]) => !value.description)
      .map(([key]) => key);
    expect(undocumented).toEqual([]);
  });
});
