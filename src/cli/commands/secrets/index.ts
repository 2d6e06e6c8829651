import type { Command } from 'commander';
import type { CliIo } from '../../io.js';
import { registerAdd } from './add.js';
import { registerGet } from './get.js';
import { registerList } from './list.js';
import { registerPin } from './pin.js';
import { registerPurge } from './purge.js';
import { registerRotate } from './rotate.js';
import { registerRotateMasterKey } from './rotate-master-key.js';
import { registerSetupRoles } from './setup-roles.js';
import { registerStatus } from './status.js';
import { registerVersionState } from './version-state.js';
import { registerVersions } from './versions.js';

/** `prodguard secrets …`: one file per subcommand (or small group); each parses, calls the core, renders. */
export function register(program: Command, io: CliIo): void {
  const secrets = program
    .command('secrets')
    .description('versioned, encrypted secrets: add, pin, rotate, status (values never on the command line)');
  registerAdd(secrets, io);
  registerList(secrets, io);
  registerVersions(secrets, io);
  registerPin(secrets, io);
  registerVersionState(secrets, io);
  registerGet(secrets, io);
  registerStatus(secrets, io);
  registerRotate(secrets, io);
  registerSetupRoles(secrets, io);
  registerRotateMasterKey(secrets, io);
  registerPurge(secrets, io);
}
