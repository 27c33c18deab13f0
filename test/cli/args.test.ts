import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../src/cli/args.js';

describe('command line', () => {
  it.each([
    [[], { command: 'serve' }],
    [['serve'], { command: 'serve' }],
    [['--version'], { command: 'version' }],
    [['inject', '-v'], { command: 'version' }],
    [['check', '-f', 'ns.yaml'], { command: 'check', file: 'ns.yaml' }],
    [['check', '--filename=-'], { command: 'check', file: '-' }],
    [
      ['inject', '-f', 'd.yaml', '-a', 'endpoint=https://c:4317', '--annotation', 'aigw-otel.io/x=a=b', '-n', 'gw'],
      {
        command: 'inject',
        file: 'd.yaml',
        namespaceFile: undefined,
        annotations: ['endpoint=https://c:4317', 'aigw-otel.io/x=a=b'],
        namespace: 'gw',
      },
    ],
    [['status'], { command: 'status', kubeconfig: undefined, output: 'text' }],
    [['status', '--kubeconfig', 'k', '-o', 'json'], { command: 'status', kubeconfig: 'k', output: 'json' }],
    [
      ['inject', '-f', '-', '--namespace-file', 'ns.yaml'],
      { command: 'inject', file: '-', namespaceFile: 'ns.yaml', annotations: [], namespace: undefined },
    ],
  ])('%j', (argv, expected) => expect(parseCommand(argv)).toEqual(expected));

  it.each([
    [['--help'], /Commands:/],
    [['inject', '--help'], /Usage: aigw-otel-injector inject/],
    [['check', '-h'], /Usage: aigw-otel-injector check/],
    [['status', '-h'], /Usage: aigw-otel-injector status/],
  ])('%j is help', (argv, text) => {
    const c = parseCommand(argv);
    expect(c.command).toBe('help');
    if (c.command === 'help') expect(c.text).toMatch(text);
  });

  it.each([
    [['inject'], /-f FILE/],
    [['status', '-f', 'x'], /--filename is not an option of status/],
    [['check', '-f', 'x', '--kubeconfig', 'k'], /--kubeconfig is not an option of check/],
    [['check'], /-f FILE/],
    [['nope'], /unknown command "nope"/],
    [['main'], /unknown command "main"/],
    [['inject', '-f', 'a', 'b'], /unexpected argument "b"/],
    [['inject', '-f', 'a', '-a', '=x'], /not KEY=VALUE/],
    [['serve', '-f', 'a'], /--filename is not an option of serve/],
    [['check', '-f', 'a', '-n', 'x'], /--namespace is not an option of check/],
    [['inject', '--bogus'], /Unknown option/],
  ])('%j is a usage error', (argv, message) => {
    const c = parseCommand(argv);
    expect(c.command).toBe('usage-error');
    if (c.command === 'usage-error') expect(c.message).toMatch(message);
  });
});
