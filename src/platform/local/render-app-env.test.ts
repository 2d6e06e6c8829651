import { describe, expect, it } from 'vitest';
import { renderAppEnv } from './render-app-env.js';

describe('renderAppEnv', () => {
  it('fills placeholders, several per value', () => {
    expect(
      renderAppEnv(
        { DB_HOST: '{database.host}', URL: 'http://{database.host}:{port}/x', PLAIN: 'yes' },
        { 'database.host': '10.0.0.5', port: '8080' },
      ),
    ).toEqual({ DB_HOST: '10.0.0.5', URL: 'http://10.0.0.5:8080/x', PLAIN: 'yes' });
  });

  it('names every variable with a missing value', () => {
    expect(() => renderAppEnv({ A: '{x}', B: '{y}' }, { port: '1' })).toThrowError(
      'app.env placeholders without a value: A needs {x}, B needs {y}.',
    );
  });
});
