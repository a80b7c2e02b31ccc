/** The web player the origin serves at `/player` (a static page, shaka-player and hls.js). */
export {
  PLAYER_PREFIX,
  PLAYER_VENDOR_FILES,
  loadPlayerFiles,
  playerPlugin,
  type PlayerPluginOptions,
} from './plugin.js';
