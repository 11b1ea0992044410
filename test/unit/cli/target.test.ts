import { describe, expect, it } from '@jest/globals';
import { UsageError } from '../../../src/entrypoints/cli/cli-errors.js';
import { targetOf } from '../../../src/entrypoints/cli/management/target.js';

describe('targetOf', () => {
  it('is the embedded stack when nothing says otherwise', () => {
    expect(targetOf({}, {})).toEqual({ kind: 'local' });
    expect(targetOf({ target: 'local' }, {})).toEqual({ kind: 'local' });
  });

  it('is a deployed stack with --target aws --stack, and its region when given', () => {
    expect(targetOf({ target: 'aws', stack: 'feedrelay-prod', region: 'eu-west-1' }, {})).toEqual({
      kind: 'aws',
      stack: 'feedrelay-prod',
      region: 'eu-west-1',
    });
  });

  it('reads FEEDRELAY_TARGET and FEEDRELAY_STACK; flags win over them', () => {
    const env = { FEEDRELAY_TARGET: 'aws', FEEDRELAY_STACK: 'from-env' };

    expect(targetOf({}, env)).toEqual({ kind: 'aws', stack: 'from-env' });
    expect(targetOf({ stack: 'from-flag' }, env)).toEqual({ kind: 'aws', stack: 'from-flag' });
    expect(targetOf({ target: 'local' }, env)).toEqual({ kind: 'local' });
  });

  it('refuses --target aws without a stack, naming --stack', () => {
    const reading = () => targetOf({ target: 'aws' }, {});

    expect(reading).toThrow(UsageError);
    expect(reading).toThrow('--target aws needs --stack NAME (or FEEDRELAY_STACK)');
  });

  it('is a running serve at an http URL, with --token, else FEEDRELAY_API_TOKEN, else none yet', () => {
    expect(targetOf({ target: 'http://127.0.0.1:8787', token: 'flag' }, { FEEDRELAY_API_TOKEN: 'env' })).toEqual({
      kind: 'http',
      url: new URL('http://127.0.0.1:8787'),
      token: { value: 'flag', from: '--token' },
    });
    expect(targetOf({ target: 'http://127.0.0.1:8787' }, { FEEDRELAY_API_TOKEN: 'env' })).toMatchObject({
      token: { value: 'env', from: 'FEEDRELAY_API_TOKEN' },
    });
    expect(targetOf({ target: 'http://127.0.0.1:8787' }, {})).not.toHaveProperty('token');
  });

  it('refuses plain http beyond loopback: the token would cross the network in clear text', () => {
    expect(() => targetOf({ target: 'http://feedrelay.internal:8787' }, {})).toThrow(
      '--target: plain http sends the API token in clear text',
    );
    expect(targetOf({ target: 'https://feedrelay.internal' }, {})).toMatchObject({ kind: 'http' });
    expect(targetOf({ target: 'http://localhost:8787' }, {})).toMatchObject({ kind: 'http' });
    expect(targetOf({ target: 'http://[::1]:8787' }, {})).toMatchObject({ kind: 'http' });
  });

  it.each([
    [{ stack: 'x' }, '--stack is for --target aws; the target is local'],
    [{ token: 't' }, '--token is for --target http://HOST:PORT; the target is local'],
    [{ target: 'aws', stack: 'x', token: 't' }, '--token is for --target http://HOST:PORT; the target is aws'],
    [{ target: 'http://127.0.0.1:1', region: 'eu-west-1' }, '--region is for --target aws'],
    [{ target: 'aws', stack: 'x', 'data-dir': '/tmp/x' }, '--data-dir is for the embedded stack, not --target aws'],
    [{ target: 'ftp://x' }, '--target: expected local, aws or the http://HOST:PORT of feedrelay serve, got "ftp://x"'],
  ])('refuses a flag that does not fit the target: %j', (values, message) => {
    expect(() => targetOf(values, {})).toThrow(message);
  });
});
