// Versions reported by Health.Version and GetGuestDetails.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const pkg = require('../../package.json') as { version: string };

/** API version of the 1.x protocol. */
export const GRPC_API_VERSION = '0.0.1';
export const AGENT_VERSION: string = pkg.version;
