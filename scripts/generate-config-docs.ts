import { readFileSync, writeFileSync } from 'node:fs';
import { renderConfigurationReference, renderReadme } from '../src/config/reference.js';

// Regenerates the configuration reference and README's configuration table from src/config/settings.ts.
const readmeUrl = new URL('../README.md', import.meta.url);
writeFileSync(new URL('../docs/configuration.md', import.meta.url), renderConfigurationReference());
writeFileSync(readmeUrl, renderReadme(readFileSync(readmeUrl, 'utf8')));
process.stdout.write('wrote docs/configuration.md and README.md\n');
