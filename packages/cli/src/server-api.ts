// The parts of the server and core packages the CLI uses, in one place.
export {
  CONFIG_SCHEMA, ConfigError, SECRET_MIN_BYTES, buildConfig, missingAuthProblem, missingSecretProblem, readSecretFile, RingkvNode,
  type ConfigInput, type NodeConfig, type OptionSpec,
} from '@ringkv/server';
export { isRingkvError } from '@ringkv/core';
