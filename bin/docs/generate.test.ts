import { readFile, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { edgeFlagsFromCli } from '../commands/edge.js';
import { encodeOptionsFromCli } from '../commands/encode.js';
import { originFlagsFromCli } from '../commands/origin.js';
import {
  COMMANDS,
  CONFIG_SECTIONS,
  documentedEnv,
  envNamesIn,
  generateDocs,
  GENERATED_NOTE,
  helpText,
  probeFlags,
  ROOT,
} from './generate.js';

/** The first line where two texts differ, for a short failure message. */
function firstDifference(expected: string, actual: string): string {
  const a = expected.split('\n');
  const b = actual.split('\n');
  const i = a.findIndex((line, n) => line !== b[n]);
  const at = i < 0 ? a.length : i;
  return `line ${at + 1}:\n  generated: ${(a[at] ?? '(end)').slice(0, 160)}\n  on disk:   ${(b[at] ?? '(end)').slice(0, 160)}`;
}

/** Every config.ts of the product (not dependencies, builds or scratch files). */
async function configFiles(dir = ROOT): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || ['node_modules', 'dist', 'tmp', 'coverage'].includes(entry.name))
      continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await configFiles(path)));
    else if (entry.name === 'config.ts') out.push(path);
  }
  return out;
}

describe('generated docs', () => {
  it('docs/config.md and docs/metrics.md are what `npm run docs` writes', async () => {
    const docs = await generateDocs();
    expect(docs.map((d) => d.path)).toEqual(['docs/config.md', 'docs/metrics.md']);
    for (const doc of docs) {
      expect(doc.text).toContain(GENERATED_NOTE);
      const onDisk = await readFile(join(ROOT, doc.path), 'utf8').catch(() => '');
      if (onDisk !== doc.text) {
        expect.fail(`${doc.path} is out of date: run npm run docs\n${firstDifference(doc.text, onDisk)}`);
      }
    }
  });
});

describe('flags and environment variables', () => {
  it('finds the keys each flag sets by running the commands’ own mappings', () => {
    const origin = probeFlags(COMMANDS.origin!(), (o) => originFlagsFromCli(o as never), { auth: true });
    expect(origin.get('port')).toEqual(['--port']);
    expect(origin.get('authDisabled')).toEqual(['--no-auth']);
    expect(origin.get('steering.allowClientIpOverride')).toEqual(['--allow-client-ip-override']);
    const edge = probeFlags(COMMANDS.edge!(), (o) => edgeFlagsFromCli(o));
    expect(edge.get('disk.dir')).toEqual(['--disk-dir']);
    expect(edge.get('memory.maxBytes')).toEqual(['--memory-bytes']);
    expect(edge.get('listen.port')).toEqual(['--port']);
    const encode = probeFlags(COMMANDS.encode!(), (o) => encodeOptionsFromCli(o as never), {
      out: 'out',
      metric: 'vmaf',
      verify: true,
    });
    expect(encode.get('resolutions')).toEqual(['--resolutions']);
    expect(encode.get('verifyRungs')).toEqual(['--no-verify']);
    expect([...encode.values()].flat()).not.toContain('--json');
  });

  it('reads variable names from envValue calls', () => {
    expect(
      envNamesIn("const a = envValue(env, 'A_B');\nenvValue( vars , 'C_D' ) ?? envValue(env, 'A_B');"),
    ).toEqual(['A_B', 'C_D']);
  });

  it('documents every variable a config.ts reads, with the key it sets when there is one', async () => {
    const env = await documentedEnv();
    const documented = new Map(env.map((r) => [r.name, r]));
    for (const file of await configFiles()) {
      for (const name of envNamesIn(await readFile(file, 'utf8'))) {
        expect(documented.has(name), `${name} read in ${relative(ROOT, file)}`).toBe(true);
      }
    }
    expect(documented.get('ORIGIN_API_TOKEN')?.key).toBe('apiToken');
    expect(documented.get('EDGE_PORT')?.key).toBe('listen.port');
    expect(documented.get('EDGE_CONTROL_TOKEN')?.key).toBe('control.token');
    expect(documented.get('FFMPEG_PATH')?.key).toBeUndefined();
    for (const row of env) expect(row.description, row.name).not.toBe('');
  });

  it("documents every variable a command's --help names, for that command", async () => {
    const env = await documentedEnv();
    for (const name of Object.keys(COMMANDS)) {
      const named = new Set(
        [...helpText(name).matchAll(/\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b/g)]
          .map((m) => m[0])
          .filter((n) => !n.includes('_ERR_')),
      );
      for (const variable of named) {
        const row = env.find((r) => r.name === variable);
        expect(row?.commands, `${variable} in cdn ${name} --help`).toContain(`cdn ${name}`);
      }
    }
  });

  it('names only flags the commands have in the section introductions', () => {
    const all = new Set(Object.values(COMMANDS).flatMap((make) => make().options.map((o) => o.long ?? '')));
    for (const section of CONFIG_SECTIONS) {
      for (const flag of section.intro.match(/--[a-z][a-z-]*/g) ?? []) {
        expect(all.has(flag), `${flag} in ${section.title}`).toBe(true);
      }
    }
  });
});
