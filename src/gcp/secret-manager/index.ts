export * from './crc32c.js';
export * from './secret-id.js';
export * from './secret-manager-vault.js';
