import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { ExitCode, reportFailure } from './cli.js';

/**
 * The subcommands, each loaded only when needed: `cdn edge` does not load the encoder, the player
 * simulator or the demo (a smaller, faster-starting appliance process).
 */
const COMMANDS: Record<string, () => Promise<Command>> = {
  demo: async () => (await import('./commands/demo.js')).demoCommand(),
  encode: async () => (await import('./commands/encode.js')).encodeCommand(),
  package: async () => (await import('./commands/package.js')).packageCommand(),
  origin: async () => (await import('./commands/origin.js')).originCommand(),
  edge: async () => (await import('./commands/edge.js')).edgeCommand(),
  play: async () => (await import('./commands/play.js')).playCommand(),
};

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/**
 * The `cdn` command: one subcommand per part of the product. With `only` (a subcommand's name),
 * just that one is loaded; otherwise all (help, and suggestions for a mistyped name).
 */
export async function buildProgram(only?: string): Promise<Command> {
  const program = new Command('cdn')
    .description('Open-source adaptive streaming CDN: per-title encoding, packaging, origin, edges, players')
    .version(version())
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  const names = only !== undefined && Object.hasOwn(COMMANDS, only) ? [only] : Object.keys(COMMANDS);
  for (const command of await Promise.all(names.map((name) => COMMANDS[name]!()))) {
    program.addCommand(command.exitOverride().showHelpAfterError('(run with --help for usage)'));
  }
  return program;
}

export async function main(argv: readonly string[]): Promise<number> {
  try {
    const program = await buildProgram(argv[0]);
    await program.parseAsync([...argv], { from: 'user' });
    return ExitCode.Ok;
  } catch (err) {
    return reportFailure(err);
  }
}
