import { ConfigError, loadConfig } from '../config/config.js';
import { closestName } from '../config/closest-name.js';
import { StartupError } from '../config/startup-error.js';
import { unknownSettingWarnings } from '../config/unknown-settings.js';
import { COMMANDS, type CommandSpec } from './commands.js';
import { argumentProblem, asksForHelp, commandHelp, groupHelp } from './help.js';
import { UsageError } from './usage-error.js';

/** Node's own parseArgs errors, should a command's parser ever refuse what the table accepted. */
const PARSE_ERRORS = new Set(['ERR_PARSE_ARGS_UNKNOWN_OPTION', 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE', 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL']);

type Io = { out: (text: string) => void; err: (text: string) => void };

/** Finds the command the arguments name: its spec and the arguments after its words. */
function resolve(argv: string[], io: Io): { spec: CommandSpec; args: string[] } | number {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || asksForHelp([command])) {
    const topic = command === 'help' ? COMMANDS.filter((spec) => spec.words[0] === rest[0]) : [];
    const text = topic.length === 1 ? commandHelp(topic[0]!) : topic.length > 1 ? groupHelp(topic, [rest[0]!]) : groupHelp(COMMANDS);
    if (!command) {
      io.err(text);
      return 2;
    }
    io.out(text);
    return 0;
  }
  const group = COMMANDS.filter((spec) => spec.words[0] === command);
  if (group.length === 0) {
    const suggestion = closestName(command, new Set(COMMANDS.map((spec) => spec.words[0]!)));
    io.err(`latchkey: unknown command "${command}"${suggestion ? ` (did you mean ${suggestion}?)` : ''}\n\n${groupHelp(COMMANDS)}`);
    return 2;
  }
  if (group.length === 1 && group[0]!.words.length === 1) return { spec: group[0]!, args: rest };
  const [sub, ...args] = rest;
  const spec = group.find((candidate) => candidate.words[1] === sub);
  if (!spec) {
    if (sub === undefined || sub.startsWith('-')) {
      if (asksForHelp(rest)) {
        io.out(groupHelp(group, [command]));
        return 0;
      }
      io.err(`latchkey ${command}: which one? ${group.map((s) => s.words[1]).join(', ')}\n\n${groupHelp(group, [command])}`);
      return 2;
    }
    const suggestion = closestName(sub, group.map((s) => s.words[1]!));
    io.err(`latchkey ${command}: unknown command "${sub}"${suggestion ? ` (did you mean ${suggestion}?)` : ''}\n\n${groupHelp(group, [command])}`);
    return 2;
  }
  return { spec, args };
}

/**
 * The `latchkey` command line; returns the process exit code. It never prints a stack trace (issue
 * 11.11): help exits 0; a bad command line is one line and the command's help, exit 2; a bad
 * setting or a start-up failure is one line naming the setting, exit 2 or 1.
 */
export async function main(argv: string[], env: Record<string, string | undefined> = process.env): Promise<number> {
  const io: Io = { out: (text) => process.stdout.write(`${text}\n`), err: (text) => process.stderr.write(`${text}\n`) };
  const resolved = resolve(argv, io);
  if (typeof resolved === 'number') return resolved;
  const { spec, args } = resolved;
  const name = `latchkey ${spec.words.join(' ')}`;
  if (asksForHelp(args)) {
    io.out(commandHelp(spec));
    return 0;
  }
  const problem = argumentProblem(spec, args);
  if (problem) {
    io.err(`${name}: ${problem}\n\n${commandHelp(spec)}`);
    return 2;
  }
  for (const warning of unknownSettingWarnings(env)) io.err(`latchkey: warning: ${warning}`);
  try {
    const config = loadConfig(env);
    return await spec.run(config, argv.slice(1));
  } catch (error) {
    return report(error, name, spec, io, env);
  }
}

/** One line per failure, and the exit code: 2 for what the caller typed or set, 1 for what failed. */
function report(error: unknown, name: string, spec: CommandSpec, io: Io, env: Record<string, string | undefined>): number {
  if (error instanceof ConfigError) {
    for (const problem of error.problems) io.err(`latchkey: ${problem}`);
    return 2;
  }
  if (error instanceof UsageError) {
    io.err(`latchkey: ${error.message}`);
    return 2;
  }
  if (PARSE_ERRORS.has((error as { code?: string } | null)?.code ?? '')) {
    io.err(`${name}: ${(error as Error).message.split('. ')[0]}\n\n${commandHelp(spec)}`);
    return 2;
  }
  if (error instanceof StartupError) {
    io.err(`latchkey: ${error.message}`);
    return 1;
  }
  // Not one we know how to explain: still one line; the stack only when debugging was asked for.
  const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
  io.err(`latchkey: ${spec.words.join(' ')} failed: ${message}${isDebug(env) ? '' : ' (LATCHKEY_LOG_LEVEL=debug shows where)'}`);
  if (isDebug(env) && error instanceof Error && error.stack) io.err(error.stack);
  return 1;
}

function isDebug(env: Record<string, string | undefined>): boolean {
  return env.LATCHKEY_LOG_LEVEL === 'debug' || env.LATCHKEY_LOG_LEVEL === 'trace';
}
