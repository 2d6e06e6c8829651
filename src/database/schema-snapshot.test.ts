import { describe, expect, it } from 'vitest';
import { diffSchema, type SchemaSnapshot } from './schema-snapshot.js';

const empty = (): SchemaSnapshot => ({
  schema: {},
  extension: {},
  table: {},
  column: {},
  index: {},
  constraint: {},
  enum: {},
  sequence: {},
  view: {},
  function: {},
  trigger: {},
});

describe('diffSchema', () => {
  it('lists missing, unexpected and changed objects, by kind then name', () => {
    const expected = empty();
    const actual = empty();
    expected.column['public.User.email'] = 'text NOT NULL';
    actual.column['public.User.email'] = 'text NULL';
    actual.column['public.User.note'] = 'text NULL';
    expected.index['public.User_email_key'] = 'CREATE UNIQUE INDEX ...';
    expected.enum['public.Role'] = 'admin, user';
    actual.enum['public.Role'] = 'admin, user';
    expect(diffSchema(expected, actual)).toEqual([
      {
        kind: 'column',
        object: 'public.User.email',
        change: 'changed',
        expected: 'text NOT NULL',
        actual: 'text NULL',
      },
      { kind: 'column', object: 'public.User.note', change: 'unexpected', actual: 'text NULL' },
      {
        kind: 'index',
        object: 'public.User_email_key',
        change: 'missing',
        expected: 'CREATE UNIQUE INDEX ...',
      },
    ]);
    expect(diffSchema(expected, expected)).toEqual([]);
  });
});
