import { validateNamespace } from '../admission/validate-namespaces.js';
import { formatProblem } from '../core/problems.js';
import { parseNamespaceDocuments } from '../namespaces/parse-file.js';

export type CheckOutcome =
  | { ok: true; problems: readonly string[]; advice: readonly string[]; namespaces: number }
  | { ok: false; error: string };

/** One line per problem in the Namespaces' annotations, by the validating webhook's own handler. */
export function checkYaml(text: string): CheckOutcome {
  const parsed = parseNamespaceDocuments(text, { skipOtherKinds: true });
  if (!parsed.ok) return { ok: false, error: parsed.reason };
  const problems: string[] = [];
  const advice: string[] = [];
  for (const ns of parsed.value) {
    const outcome = validateNamespace({
      uid: 'aigw-otel-injector-check',
      kind: { group: '', version: 'v1', kind: 'Namespace' },
      operation: 'CREATE',
      name: ns.name,
      object: { metadata: { name: ns.name, annotations: ns.annotations } },
    });
    for (const p of outcome.problems) problems.push(`${ns.where}: namespace ${ns.name}: ${formatProblem(p)}`);
    for (const p of outcome.advice) advice.push(`${ns.where}: namespace ${ns.name}: warning: ${formatProblem(p)}`);
  }
  return { ok: true, problems, advice, namespaces: parsed.value.length };
}
