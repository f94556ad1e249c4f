import { parseArgs } from 'node:util';
import { closestName } from '../config/closest-name.js';
import type { CommandSpec, OptionSpec } from './commands.js';

const HELP_FLAGS = new Set(['--help', '-h']);

/** True when the arguments ask for help (`--help` or `-h` before any `--`). */
export function asksForHelp(args: readonly string[]): boolean {
  for (const arg of args) {
    if (arg === '--') return false;
    if (HELP_FLAGS.has(arg)) return true;
  }
  return false;
}

function optionLine(name: string, option: OptionSpec): string {
  const flag = `--${name}${option.type === 'string' ? ` ${option.value ?? 'VALUE'}` : ''}`;
  return `  ${flag.padEnd(34)} ${option.help}`;
}

/** The help of one command: usage line, summary, every option. */
export function commandHelp(spec: CommandSpec): string {
  return [
    `usage: latchkey ${[...spec.words, spec.usage].filter(Boolean).join(' ')}`,
    '',
    `${spec.summary[0]!.toUpperCase()}${spec.summary.slice(1)}.`,
    '',
    'options:',
    ...Object.entries(spec.options).map(([name, option]) => optionLine(name, option)),
    `  ${'-h, --help'.padEnd(34)} show this help`,
    '',
    'Settings come from the LATCHKEY_* environment (docs/configuration.md).',
  ].join('\n');
}

/** The help of a command with subcommands (`latchkey apps`), or of `latchkey` itself. */
export function groupHelp(specs: readonly CommandSpec[], prefix: string[] = []): string {
  const name = ['latchkey', ...prefix].join(' ');
  const rows = specs.map((spec) => `  ${spec.words.slice(prefix.length).join(' ').padEnd(22)} ${spec.summary}`);
  return [
    `usage: ${name} <command> [options]`,
    '',
    'commands:',
    ...rows,
    '',
    `"${name} <command> --help" shows a command's options. Settings come from the LATCHKEY_* environment (docs/configuration.md).`,
  ].join('\n');
}

/**
 * Checks the arguments against the command's options (issue 11.11): returns one line naming the
 * first unknown or misspelt option, stray argument or missing value, or undefined when all is well.
 */
export function argumentProblem(spec: CommandSpec, args: string[]): string | undefined {
  const options = Object.fromEntries(Object.entries(spec.options).map(([name, option]) => [name, { type: option.type, multiple: option.multiple ?? false }]));
  const { tokens } = parseArgs({ args, options, strict: false, allowPositionals: true, tokens: true });
  const seen = new Set<string>();
  for (const token of tokens) {
    if (token.kind === 'option-terminator') continue;
    if (token.kind === 'positional') return `unexpected argument ${JSON.stringify(token.value)}`;
    const option = spec.options[token.name];
    if (!option) {
      const suggestion = closestName(token.name, Object.keys(spec.options));
      return `unknown option ${token.rawName}${suggestion ? ` (did you mean --${suggestion}?)` : ''}`;
    }
    if (option.type === 'boolean' && token.value !== undefined) return `${token.rawName} takes no value`;
    if (option.type === 'string') {
      // Like strict parsing: `--name --json` is a forgotten value, not a name that starts with "--".
      if (token.value === undefined || (!token.inlineValue && token.value.startsWith('-') && token.value !== '-')) {
        return `${token.rawName} needs a value (${option.value ?? 'VALUE'})`;
      }
      if (!option.multiple && seen.has(token.name)) return `${token.rawName} is given twice`;
    }
    seen.add(token.name);
  }
  return undefined;
}
