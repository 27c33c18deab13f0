import { parseArgs } from 'node:util';

export type Command =
  | { readonly command: 'serve' }
  | {
      readonly command: 'inject';
      readonly file: string;
      readonly namespaceFile?: string;
      readonly annotations: readonly string[];
      readonly namespace?: string;
    }
  | { readonly command: 'check'; readonly file: string }
  | { readonly command: 'status'; readonly kubeconfig?: string; readonly output: 'text' | 'json' }
  | { readonly command: 'help'; readonly text: string }
  | { readonly command: 'version' }
  | { readonly command: 'usage-error'; readonly message: string; readonly text: string };

export const USAGE = {
  main: `Usage: aigw-otel-injector [serve|inject|check|status] [options]

Commands:
  serve    run the admission webhook (the default; configured by environment, see README)
  inject   print Kubernetes YAML with the OpenTelemetry settings the webhook would inject
  check    validate the aigw-otel.io/ annotations of the Namespaces in a file
  status   per configured namespace of a cluster: its settings and its gateways' configured/missing/stale pods

Options:
  -h, --help     help for a command: aigw-otel-injector inject --help
  -v, --version  print the version
`,
  serve: `Usage: aigw-otel-injector serve

Runs the HTTPS admission webhook. Configured by environment: PORT, ADMIN_PORT, TLS_CERT_FILE,
TLS_KEY_FILE, NAMESPACES_FILE (standalone mode), LOG_LEVEL. Same as running with no command.

Example:
  NAMESPACES_FILE=examples/namespaces.yaml TLS_CERT_FILE=certs/tls.crt TLS_KEY_FILE=certs/tls.key aigw-otel-injector serve
`,
  inject: `Usage: aigw-otel-injector inject -f FILE|- [--namespace-file FILE] [--annotation KEY=VALUE ...] [--namespace NAME]

Reads Kubernetes YAML (several documents, or a List) and prints it with the OpenTelemetry settings the
webhook would inject into each Pod and each pod template (Deployment, StatefulSet, DaemonSet, ReplicaSet,
Job, CronJob). Other kinds pass through unchanged. Warnings go to stderr.

Options:
  -f, --filename FILE      the manifests; - reads standard input
  --namespace-file FILE    namespace annotations, as for NAMESPACES_FILE (kubectl get ns -o yaml)
  -a, --annotation K=V     a namespace annotation for every object, with or without the aigw-otel.io/ prefix
  -n, --namespace NAME     namespace of objects that do not name one (default: default)

Exit: 0 done, 1 invalid input, 2 usage error.

Example:
  aigw-otel-injector inject -f deploy.yaml -a endpoint=https://collector:4317 -a ca-configmap=collector-ca
`,
  check: `Usage: aigw-otel-injector check -f FILE|-

Validates the aigw-otel.io/ annotations of the Namespaces in the file with the validating webhook's
rules; prints one line per problem. Exit: 0 all valid, 1 problems found, 2 usage error.

Example:
  kubectl get ns -o yaml | aigw-otel-injector check -f -
`,
  status: `Usage: aigw-otel-injector status [--kubeconfig FILE] [-o text|json]

For the person on call: with a kubeconfig (--kubeconfig, KUBECONFIG, or in-cluster), prints each namespace that
carries aigw-otel.io/ annotations with its effective settings (never Secret values) and its AI Gateway
workloads with how many pods are configured, missing their configuration, or stale.
Exit: 0 all configured, 1 pods missing or stale (or the cluster could not be read), 2 usage error.

Example:
  aigw-otel-injector status -o json | jq '.namespaces[] | select(.ok | not)'
`,
} as const;

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
  filename: { type: 'string', short: 'f' },
  'namespace-file': { type: 'string' },
  annotation: { type: 'string', short: 'a', multiple: true },
  namespace: { type: 'string', short: 'n' },
  kubeconfig: { type: 'string' },
  output: { type: 'string', short: 'o' },
} as const;

const usageError = (message: string, text: string): Command => ({ command: 'usage-error', message, text });

type Values = {
  help?: boolean;
  version?: boolean;
  filename?: string;
  'namespace-file'?: string;
  annotation?: string[];
  namespace?: string;
  kubeconfig?: string;
  output?: string;
};

/** Reads the command line (without node and the script). Pure: no I/O, no exit. */
export function parseCommand(argv: readonly string[]): Command {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    return usageError(error instanceof Error ? error.message : String(error), USAGE.main);
  }
  const { values, positionals } = parsed;
  const [name = 'serve', ...extra] = positionals;
  if (values.version) return { command: 'version' };
  if (!(name in USAGE) || name === 'main') return usageError(`unknown command "${name}"`, USAGE.main);
  const text = USAGE[name as keyof typeof USAGE];
  if (values.help) return { command: 'help', text: positionals.length === 0 ? USAGE.main : text };
  if (extra.length > 0) return usageError(`unexpected argument "${extra[0]}"`, text);
  const stray = strayOption(name, values);
  if (stray !== undefined) return usageError(`--${stray} is not an option of ${name}`, text);
  if (name === 'serve') return { command: 'serve' };
  if (name === 'status') return statusCommand(values, text);
  if (values.filename === undefined) return usageError('-f FILE (or - for standard input) is required', text);
  if (name === 'check') return { command: 'check', file: values.filename };
  return injectCommand(values, values.filename, text);
}

/** Options each command takes beyond --help and --version. */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  serve: [],
  check: ['filename'],
  inject: ['filename', 'namespace-file', 'annotation', 'namespace'],
  status: ['kubeconfig', 'output'],
};

function statusCommand(values: Values, text: string): Command {
  const output = values.output ?? 'text';
  if (output !== 'text' && output !== 'json') return usageError(`-o ${output}: text or json`, text);
  return { command: 'status', kubeconfig: values.kubeconfig, output };
}

function strayOption(name: string, values: Values): string | undefined {
  const allowed = ALLOWED[name] ?? [];
  const options = ['filename', 'namespace-file', 'annotation', 'namespace', 'kubeconfig', 'output'];
  return options.find((k) => k in values && !allowed.includes(k));
}

function injectCommand(values: Values, file: string, text: string): Command {
  const bad = (values.annotation ?? []).find((a) => !/^[^=]+=/.test(a));
  if (bad !== undefined) return usageError(`--annotation "${bad}" is not KEY=VALUE`, text);
  return {
    command: 'inject',
    file,
    namespaceFile: values['namespace-file'],
    annotations: values.annotation ?? [],
    namespace: values.namespace,
  };
}
