// The public API of each package entry, as API Extractor reports it, against the
// committed api-report/*.api.md. All entries in one process over one TypeScript
// program (API Extractor's shared CompilerState): one compile instead of one per entry.
// Usage: node scripts/api-report.mjs [--update]
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CompilerState, Extractor, ExtractorConfig } from '@microsoft/api-extractor';

const update = process.argv.includes('--update');
const names = readdirSync('api-report')
  .filter((name) => name.endsWith('.json') && name !== 'api-extractor.base.json')
  .sort();
const configs = names.map((name) => ExtractorConfig.loadFileAndPrepare(join('api-report', name)));
const compilerState = CompilerState.create(configs[0], {
  additionalEntryPoints: configs.map((config) => config.mainEntryPointFilePath),
});
let failed = false;
for (const [i, config] of configs.entries()) {
  // Quiet unless this entry fails: then its messages, as `api-extractor run` prints them.
  const messages = [];
  const result = Extractor.invoke(config, {
    localBuild: update,
    compilerState,
    messageCallback: (message) => {
      if (message.logLevel === 'error' || message.logLevel === 'warning') messages.push(message.formatMessageWithLocation(process.cwd()));
      message.handled = true;
    },
  });
  if (!result.succeeded) {
    failed = true;
    console.error(`batchtel: API report ${names[i]}: ${result.errorCount} errors, ${result.warningCount} warnings`);
    for (const line of messages) console.error(`  ${line}`);
  } else if (result.apiReportChanged) {
    console.error(`batchtel: API report ${names[i]} updated`);
  }
}
process.exit(failed ? 1 : 0);
