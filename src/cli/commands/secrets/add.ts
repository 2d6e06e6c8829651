import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { withAuditAnchor } from '../../../audit/index.js';
import { UsageError } from '../../../kernel/errors.js';
import {
  addSecretVersion,
  normalizeSecretInput,
  SECRET_KINDS,
  type SecretKind,
} from '../../../secrets/index.js';
import type { CliIo } from '../../io.js';
import { printJson, SYMBOL } from '../../render.js';
import { globalsOf, styleOf } from '../shared.js';
import { withSecrets } from './session.js';

function valueInArgv(name: string): UsageError {
  return new UsageError(
    'PRODGUARD_SECRET_VALUE_IN_ARGV',
    `Refusing a value for ${name} on the command line: it is now in your shell history and visible to \`ps\`.`,
    {
      hint: `Pipe it instead: prodguard secrets add ${name} --env <env> < file (or --from-file <file>), and consider the value you typed exposed.`,
    },
  );
}

async function readValue(io: CliIo, fromFile: string | undefined): Promise<string> {
  if (fromFile) {
    try {
      return normalizeSecretInput(readFileSync(resolve(io.cwd, fromFile), 'utf8'));
    } catch (cause) {
      throw new UsageError('PRODGUARD_USAGE_FILE', `Cannot read --from-file ${fromFile}.`, { cause });
    }
  }
  if (io.stdinIsTTY) {
    throw new UsageError(
      'PRODGUARD_SECRET_VALUE_EMPTY',
      'No value: stdin is a terminal and no --from-file was given.',
      {
        hint: 'Pipe the value: `printf \'%s\' "$VALUE" | prodguard secrets add NAME --env ENV`, or --from-file <file>.',
      },
    );
  }
  return normalizeSecretInput(await io.readStdin());
}

export function registerAdd(secrets: Command, io: CliIo): void {
  secrets
    .command('add')
    .description('add a new immutable version; the value comes from stdin or --from-file, never from argv')
    .argument('<name>', 'secret name = the environment variable the app reads, e.g. DATABASE_URL')
    .argument('[value...]', 'refused: values on the command line leak into shell history and `ps`')
    .option('--env <env>', 'environment (required)')
    .addOption(
      new Option(
        '--kind <kind>',
        "the secret's kind (default: the existing secret's, else external)",
      ).choices(SECRET_KINDS),
    )
    .option('--from-file <file>', 'read the value from this file (one trailing newline is dropped)')
    .action(
      async (
        name: string,
        argvValue: string[],
        options: { env?: string; kind?: SecretKind; fromFile?: string },
        command: Command,
      ) => {
        // `secrets add NAME=VALUE`: the value is glued to the name; name only what precedes '='. Checked before
        // --env, so a value typed on the command line is always called out first.
        if (name.includes('=')) throw valueInArgv(name.slice(0, name.indexOf('=')) || 'the secret');
        if (argvValue.length > 0) throw valueInArgv(name);
        if (!options.env) {
          throw new UsageError(
            'PRODGUARD_USAGE_ENV_MISSING',
            '--env is required: prodguard secrets add <name> --env <env>',
            {
              hint: 'Name the environment, e.g. --env staging.',
            },
          );
        }
        const env = options.env;
        const value = await readValue(io, options.fromFile);
        await withSecrets(io, command, {}, async ({ ctx, ws }) => {
          const result = await addSecretVersion(ctx, {
            name,
            environment: env,
            value,
            ...(options.kind ? { kind: options.kind } : {}),
          });
          const out = {
            ok: true,
            name,
            environment: env,
            version: result.version.version,
            kind: result.kind,
            metadata: result.version.metadata,
            pinned: result.pinned ? result.pinned.version : null,
          };
          if (globalsOf(command).json) return printJson(io, withAuditAnchor(out, ws.audit));
          const s = styleOf(command, io);
          io.stdout(`${s.ok(SYMBOL.pass)} Added ${name} v${out.version} (${env}, ${out.kind})\n`);
          if (result.pinned)
            io.stdout(`${s.ok(SYMBOL.pass)} Pinned v${out.version}: it is the first version\n`);
          else io.stdout(`Pin it when ready: prodguard secrets pin ${name} ${out.version} --env ${env}\n`);
        });
      },
    );
}
