import { describe, expect, it } from 'vitest';
import { classifyConnectError, isRetryableConnectError } from './connection-error.js';

const pgError = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('classifyConnectError', () => {
  it.each([
    [pgError('28P01', 'password authentication failed for user "app"'), 'auth', true],
    [pgError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'), 'connection', true],
    [pgError('57P03', 'the database system is starting up'), 'connection', true],
    [pgError('53300', 'sorry, too many clients already'), 'connection', true],
    [new Error('Connection terminated unexpectedly'), 'connection', true],
    [new Error('Connection terminated due to connection timeout'), 'timeout', false],
    [new Error('timeout exceeded when trying to connect'), 'pool-exhausted', false],
    [pgError('3D000', 'database "nope" does not exist'), 'other', false],
    [pgError('28000', 'no pg_hba.conf entry'), 'other', false],
  ])('%s → %s (retry: %s)', (error, kind, retry) => {
    expect(classifyConnectError(error)).toBe(kind);
    expect(isRetryableConnectError(error)).toBe(retry);
  });
});
