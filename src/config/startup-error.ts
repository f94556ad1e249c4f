/**
 * A start-up failure the operator can fix (issue 11.12): its message is one line that names the
 * setting and the fix. The CLI prints it as it is, without a stack trace, and exits 1.
 */
export class StartupError extends Error {
  constructor(
    readonly setting: string,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(`${setting}: ${problem}`, options);
    this.name = 'StartupError';
  }
}
