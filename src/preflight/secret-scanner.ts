import { maskValue } from '../kernel/redact.js';

export interface SecretFinding {
  file: string;
  line: number;
  column: number;
  rule: string;
  /** The credential, masked: never the value itself. */
  masked: string;
  /** Commit that added it, when found in history rather than in the current tree. */
  commit?: string;
}

type LintSource = typeof import('@secretlint/core').lintSource;
let engine: Promise<{ lintSource: LintSource; preset: unknown }> | undefined;

/** Loads secretlint (and its recommended preset) once, on first use: most commands never need it. */
function loadEngine() {
  engine ??= Promise.all([
    import('@secretlint/core'),
    import('@secretlint/secretlint-rule-preset-recommend'),
  ]).then(([core, preset]) => ({ lintSource: core.lintSource, preset: preset.creator }));
  return engine;
}

/**
 * Scans one text with secretlint's recommended preset (AWS/GCP keys, private keys, database connection
 * strings with passwords, GitHub/Slack/npm tokens, …). `lineMap` maps scanned lines back to file lines.
 */
export async function scanTextForSecrets(
  file: string,
  content: string,
  lineMap?: readonly number[],
): Promise<SecretFinding[]> {
  const { lintSource, preset } = await loadEngine();
  const result = await lintSource({
    source: { filePath: file, content, contentType: 'text' },
    options: {
      maskSecrets: true,
      noPhysicFilePath: true,
      config: { rules: [{ id: '@secretlint/secretlint-rule-preset-recommend', rule: preset as never }] },
    },
  });
  return result.messages.map((message) => {
    const line = message.loc.start.line;
    return {
      file,
      line: lineMap?.[line - 1] ?? line,
      column: message.loc.start.column + 1,
      rule: message.ruleId.replace(/^@secretlint\/secretlint-rule-/, ''),
      masked: maskValue(content.slice(message.range[0], message.range[1])),
    };
  });
}

export interface AddedLines {
  commit: string;
  file: string;
  text: string;
  /** File line number of each line in text. */
  lineMap: number[];
}

/** Parses `git log -p --unified=0` output into the lines each commit added, per file. */
export function parseAddedLines(patch: string): AddedLines[] {
  const out: AddedLines[] = [];
  let commit = '';
  let current: AddedLines | undefined;
  let nextLine = 0;
  const flush = () => {
    if (current && current.lineMap.length > 0) out.push(current);
    current = undefined;
  };
  for (const line of patch.split('\n')) {
    if (line.startsWith('\u0000commit ')) {
      flush();
      commit = line.slice(8).trim();
    } else if (line.startsWith('+++ ')) {
      flush();
      const path = line.slice(4);
      current =
        path === '/dev/null' ? undefined : { commit, file: path.replace(/^b\//, ''), text: '', lineMap: [] };
    } else if (line.startsWith('@@')) {
      const match = /\+(\d+)/.exec(line);
      nextLine = match ? Number(match[1]) : 0;
    } else if (current && line.startsWith('+')) {
      current.text += `${line.slice(1)}\n`;
      current.lineMap.push(nextLine++);
    }
  }
  flush();
  return out;
}
