import { readFile } from 'node:fs/promises';
import { PREFIX } from '../core/annotations.js';
import type { Annotations } from '../core/read-annotations.js';
import { parseNamespaces } from '../namespaces/parse-file.js';
import type { Command } from './args.js';
import { checkYaml } from './check-yaml.js';
import { injectYaml } from './inject-yaml.js';

export interface CliResult {
  readonly code: 0 | 1 | 2;
  readonly stdout: string;
  readonly stderr: string;
}

// Objects without metadata.namespace land here, as with kubectl.
const DEFAULT_NAMESPACE = 'default';

const readInput = async (file: string, stdin: () => Promise<string>) =>
  file === '-' ? stdin() : readFile(file, 'utf8');
const invalid = (message: string): CliResult => ({ code: 1, stdout: '', stderr: `aigw-otel-injector: ${message}\n` });

/** `inject`: the manifests with what the webhook would inject; warnings on stderr. */
export async function runInject(
  cmd: Extract<Command, { command: 'inject' }>,
  stdin: () => Promise<string>,
): Promise<CliResult> {
  let fromFile: ReadonlyMap<string, Annotations> = new Map();
  if (cmd.namespaceFile !== undefined) {
    const text = await readFile(cmd.namespaceFile, 'utf8').catch((e: Error) => e);
    if (text instanceof Error) return invalid(`--namespace-file ${cmd.namespaceFile}: ${text.message}`);
    const parsed = parseNamespaces(text);
    if (!parsed.ok) return invalid(`--namespace-file ${cmd.namespaceFile}: ${parsed.reason}`);
    fromFile = parsed.value;
  }
  const flags = Object.fromEntries(
    cmd.annotations.map((a) => {
      const at = a.indexOf('=');
      const key = a.slice(0, at).trim();
      return [key.startsWith(PREFIX) ? key : PREFIX + key, a.slice(at + 1)];
    }),
  );
  const input = await readInput(cmd.file, stdin).catch((e: Error) => e);
  if (input instanceof Error) return invalid(`${cmd.file}: ${input.message}`);
  const result = await injectYaml(
    input,
    (ns) => ({ ...fromFile.get(ns), ...flags }),
    cmd.namespace ?? DEFAULT_NAMESPACE,
  );
  if (!result.ok) return invalid(`${cmd.file === '-' ? 'stdin' : cmd.file}: ${result.error}`);
  const stderr = result.value.warnings.map((w) => `warning: ${w}\n`).join('');
  return { code: 0, stdout: result.value.output, stderr };
}

/** `check`: one line per problem in the Namespaces' annotations; exit 1 if any. Advice goes to stderr, exit 0. */
export async function runCheck(
  cmd: Extract<Command, { command: 'check' }>,
  stdin: () => Promise<string>,
): Promise<CliResult> {
  const input = await readInput(cmd.file, stdin).catch((e: Error) => e);
  if (input instanceof Error) return invalid(`${cmd.file}: ${input.message}`);
  const result = checkYaml(input);
  if (!result.ok) return invalid(`${cmd.file === '-' ? 'stdin' : cmd.file}: ${result.error}`);
  const stderr = result.advice.map((a) => `${a}\n`).join('');
  if (result.problems.length === 0)
    return { code: 0, stdout: `${result.namespaces} namespace(s) checked, no problems\n`, stderr };
  return { code: 1, stdout: result.problems.map((p) => `${p}\n`).join(''), stderr };
}
