import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { ExitCode, reportFailure } from './cli.js';
import { demoCommand } from './commands/demo.js';
import { edgeCommand } from './commands/edge.js';
import { encodeCommand } from './commands/encode.js';
import { originCommand } from './commands/origin.js';
import { packageCommand } from './commands/package.js';
import { playCommand } from './commands/play.js';

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

/** The `cdn` command: one subcommand per part of the product. */
export function buildProgram(): Command {
  const program = new Command('cdn')
    .description('Open-source adaptive streaming CDN: per-title encoding, packaging, origin, edges, players')
    .version(version())
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const command of [
    demoCommand(),
    encodeCommand(),
    packageCommand(),
    originCommand(),
    edgeCommand(),
    playCommand(),
  ]) {
    program.addCommand(command.exitOverride().showHelpAfterError('(run with --help for usage)'));
  }
  return program;
}

export async function main(argv: readonly string[]): Promise<number> {
  try {
    await buildProgram().parseAsync([...argv], { from: 'user' });
    return ExitCode.Ok;
  } catch (err) {
    return reportFailure(err);
  }
}
