// The `ringkv` command line: one yargs program; usage mistakes print help and exit with code 2.
import yargs from 'yargs';
import { startCommand } from './commands/start.js';
import { dataCommands } from './commands/data.js';
import { benchCommand } from './commands/bench.js';
import { clusterCommand } from './commands/cluster.js';
import { tokenCommand } from './commands/token.js';
import { UsageError } from './usage-error.js';

export async function run(args: string[]): Promise<void> {
  // nargs-eats-options: an option declared with nargs (--token) takes its next word as its value
  // even when that word starts with "-".
  let program = yargs(args).scriptName('ringkv').parserConfiguration({ 'nargs-eats-options': true });
  program = startCommand(program);
  program = dataCommands(program);
  program = benchCommand(program);
  program = clusterCommand(program);
  program = tokenCommand(program);
  try {
    await program
      .demandCommand(1, 'a command is required')
      .strict()
      .recommendCommands()
      .help()
      .alias('help', 'h')
      .version(false)
      .wrap(Math.min(110, process.stdout.columns || 100))
      .fail((msg, err) => {
        // yargs-parser reports a flag without its value as an error (YError), not as a message.
        const missing = /^Not enough arguments following: (\S+)$/.exec(err?.message ?? msg ?? '');
        if (missing) throw new UsageError(`--${missing[1]} needs a value`);
        if (err) throw err;
        throw new UsageError(msg);
      })
      .parseAsync();
  } catch (err) {
    if (err instanceof UsageError) {
      const help = err.showHelp ? '\nRun "ringkv --help" or "ringkv <command> --help" for usage.' : '';
      console.error(`ringkv: ${err.message}${help}`);
      process.exitCode = 2;
      return;
    }
    console.error(`ringkv: ${(err as Error).message}`);
    process.exitCode = 1;
  }
}
