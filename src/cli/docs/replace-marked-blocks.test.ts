import { describe, expect, it } from 'vitest';
import { listMarkedBlocks, replaceMarkedBlocks } from './replace-marked-blocks.js';

describe('replaceMarkedBlocks', () => {
  it('replaces only what lies between the markers, for each marked block', () => {
    const text = [
      'intro',
      '<!-- prodguard-help:deploy -->',
      'old deploy',
      '<!-- /prodguard-help -->',
      'middle',
      '<!-- prodguard-help:secrets rotate -->',
      'old rotate',
      'more',
      '<!-- /prodguard-help -->',
      'end',
      '',
    ].join('\n');
    const out = replaceMarkedBlocks(text, (kind, name) => `${kind}=${name}\n`);
    expect(out).toBe(
      [
        'intro',
        '<!-- prodguard-help:deploy -->',
        'help=deploy',
        '<!-- /prodguard-help -->',
        'middle',
        '<!-- prodguard-help:secrets rotate -->',
        'help=secrets rotate',
        '<!-- /prodguard-help -->',
        'end',
        '',
      ].join('\n'),
    );
    expect(listMarkedBlocks(text)).toEqual([
      { kind: 'help', name: 'deploy' },
      { kind: 'help', name: 'secrets rotate' },
    ]);
  });

  it('leaves a file without markers unchanged', () => {
    expect(replaceMarkedBlocks('# title\n\ntext\n', () => 'x')).toBe('# title\n\ntext\n');
  });
});
