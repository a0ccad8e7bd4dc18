// A mistake in how the command was called: printed without a stack, exit code 2.
export class UsageError extends Error {
  readonly exitCode = 2;
  /**
   * Whether to point at --help after the message. Not for a configuration the command line parsed
   * fine (a missing secret, a bad value): docs/security.md "Safe defaults" wants exactly one line saying what
   * to change, and --help would not tell it.
   */
  readonly showHelp: boolean;

  constructor(message: string, options: { showHelp?: boolean } = {}) {
    super(message);
    this.showHelp = options.showHelp ?? true;
  }
}

/** A refusal to start for a configuration reason: one line on stderr, exit code 2. */
export function configUsageError(message: string): UsageError {
  // One line even when the cause spans several (a parser's code frame, say).
  return new UsageError(message.replace(/\s*\n\s*/g, ' ').trim(), { showHelp: false });
}
