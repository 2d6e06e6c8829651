import { z } from 'zod';

/** The `audit` key. Owned by the audit domain (src/audit). */
export const auditConfigSchema = z
  .object({
    anchors: z
      .array(z.string().min(1))
      .default([])
      .describe(
        'Where `prodguard audit anchor` writes the audit head by default, and where `audit verify` reads it back: file paths (append-only JSONL, relative to prodguard.yaml; keep them outside the state directory) or http(s) URLs that accept a JSON POST and answer GET with the records they received.',
      )
      .meta({ default: [], examples: [['../audit-anchors.jsonl', 'https://audit.example.com/anchors']] }),
    autoAnchor: z
      .boolean()
      .default(false)
      .describe(
        'Anchor the head to every destination in `anchors` after each command that wrote an audit event.',
      )
      .meta({ default: false, examples: [true] }),
  })
  .strict()
  .prefault({})
  .describe('Where the audit chain is anchored outside the state store (detects a rewritten or wiped log).');
