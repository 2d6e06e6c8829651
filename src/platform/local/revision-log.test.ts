import { describe, expect, it } from 'vitest';
import { secretForms } from './revision-log.js';

describe('secretForms', () => {
  it('adds the URL-encoded form, the password of a URL and the lines of a multi-line key; longest first', () => {
    expect(
      secretForms([
        'postgresql://app_b:p%40ss-word-1@db:5432/app',
        'k/ey+1==',
        '-----BEGIN KEY-----\nMIIBOgIBAAJBAK\n-----END KEY-----',
        'abc',
      ]),
    ).toEqual([
      'postgresql%3A%2F%2Fapp_b%3Ap%2540ss-word-1%40db%3A5432%2Fapp',
      '-----BEGIN%20KEY-----%0AMIIBOgIBAAJBAK%0A-----END%20KEY-----',
      '-----BEGIN KEY-----\nMIIBOgIBAAJBAK\n-----END KEY-----',
      'postgresql://app_b:p%40ss-word-1@db:5432/app',
      '-----BEGIN%20KEY-----',
      '-----BEGIN KEY-----',
      '-----END%20KEY-----',
      '-----END KEY-----',
      'k%2Fey%2B1%3D%3D',
      'MIIBOgIBAAJBAK',
      'p%40ss-word-1',
      'p@ss-word-1',
      'k/ey+1==',
    ]);
  });
});
