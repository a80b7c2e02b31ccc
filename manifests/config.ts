import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { envValue, loadConfig } from '../common/config.js';

/** Where packaging finds shaka-packager. */
export interface PackagerToolsConfig {
  packagerPath: string;
}

const schema = z.object({
  /** The shaka-packager binary; default: the one in the `shaka-packager` npm package for this platform. */
  packagerPath: z.string().min(1),
});

const require = createRequire(import.meta.url);

/** Binary names inside the `shaka-packager` npm package, per platform and architecture. */
const BUNDLED_BINARIES: Readonly<Record<string, string>> = {
  'linux-x64': 'packager-linux-x64',
  'linux-arm64': 'packager-linux-arm64',
  'darwin-x64': 'packager-osx-x64',
  'darwin-arm64': 'packager-osx-arm64',
  'win32-x64': 'packager-win-x64.exe',
};

/** The shaka-packager binary shipped in the npm package for this platform, if any. */
export function bundledPackagerPath(
  platform: string = process.platform,
  arch: string = process.arch,
): string | undefined {
  const name = BUNDLED_BINARIES[`${platform}-${arch}`];
  if (name === undefined) return undefined;
  try {
    return join(dirname(require.resolve('shaka-packager/package.json')), 'bin', name);
  } catch {
    return undefined;
  }
}

/** Packager path from `SHAKA_PACKAGER_PATH`, falling back to the binary in the `shaka-packager` package. */
export function packagerToolsConfigFromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
): Readonly<PackagerToolsConfig> {
  return loadConfig(
    schema,
    { packagerPath: envValue(env, 'SHAKA_PACKAGER_PATH') ?? bundledPackagerPath() ?? 'packager' },
    'packager environment',
  );
}
