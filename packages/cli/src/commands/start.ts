// `ringkv start`: runs a node in the foreground until SIGTERM or SIGINT, then shuts down gracefully.
import type { Argv } from 'yargs';
import { CONFIG_SCHEMA, ConfigError, RingkvNode, isRingkvError, missingAuthProblem, missingSecretProblem, type OptionSpec } from '../server-api.js';
import { envName, loadNodeConfig, readEnv } from '../config-loader.js';
import { installLastResort } from '../last-resort.js';
import { configUsageError } from '../usage-error.js';

const flagKeys = (Object.entries(CONFIG_SCHEMA) as [string, OptionSpec][]).filter(([, s]) => s.flag).map(([k]) => k);

export function startCommand(y: Argv): Argv {
  return y.command(
    'start',
    'Start a node (flags override RINGKV_* environment variables, which override --config)',
    (b) => {
      b.option('config', { type: 'string', describe: 'Config file (YAML or JSON) with any option of the schema' });
      for (const key of flagKeys) {
        const spec = (CONFIG_SCHEMA as Record<string, OptionSpec>)[key];
        const def = spec.default === undefined ? '' : ` [default: ${Array.isArray(spec.default) ? spec.default.join(',') || 'none' : spec.default}]`;
        // Shown and accepted as kebab-case (--auth-file), read back camelCase (yargs aliases both).
        b.option(key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`), {
          type: spec.type === 'int' ? 'number' : spec.type === 'bool' ? 'boolean' : 'string',
          describe: `${spec.describe}${def} (env ${envName(key)})`,
          ...(spec.values ? { choices: [...spec.values] } : {}),
        });
      }
      return b.epilog('Every option of the schema (see docs/configuration.md) can also be set in the config file.');
    },
    async (argv) => {
      const flags = Object.fromEntries(flagKeys.map((k) => [k, (argv as Record<string, unknown>)[k]]));
      const config = loadNodeConfig(flags, argv.config as string | undefined, process.env);
      // Checked here, before the node logs anything, so the refusal is the one line on stderr
      // (docs/security.md "Safe defaults"); node.start() checks the same for callers other than the CLI.
      const problem = missingSecretProblem(config) ?? missingAuthProblem(config);
      if (problem) throw configUsageError(problem);
      const node = new RingkvNode(config);
      installLastResort(node);
      for (const name of readEnv(process.env).unknown) node.log.warn({ variable: name }, 'unknown RINGKV_ environment variable ignored');
      try {
        await node.start();
      } catch (err) {
        // A configuration the node itself refuses is a start error like the ones above: exit 2.
        if (isRingkvError(err) && err.code === ConfigError.code) throw configUsageError(err.message);
        throw err;
      }
      await new Promise<void>((resolve) => {
        const onSignal = (signal: string) => {
          node.log.info({ signal }, 'signal received, shutting down');
          process.off('SIGTERM', onTerm);
          process.off('SIGINT', onInt);
          node.stop().then(resolve, (err) => {
            node.log.error({ err }, 'shutdown failed');
            process.exitCode = 1;
            resolve();
          });
        };
        const onTerm = () => onSignal('SIGTERM');
        const onInt = () => onSignal('SIGINT');
        process.on('SIGTERM', onTerm);
        process.on('SIGINT', onInt);
        // SIGHUP re-reads the auth file and the certificates; what fails to load keeps the old.
        process.on('SIGHUP', () => {
          node.log.info('SIGHUP: reloading the auth file and certificates');
          node.reload();
        });
      });
    },
  );
}
