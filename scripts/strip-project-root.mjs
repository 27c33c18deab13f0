// Stryker writes the checkout's absolute path (projectRoot) into its incremental file; nothing reads it back, and a
// committed file must not name a path of the machine that wrote it.
import { readFileSync, writeFileSync } from 'node:fs';

const file = 'docs/stryker-incremental.json';
const report = JSON.parse(readFileSync(file, 'utf8'));
delete report.projectRoot;
writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
