/** A bad command line: printed as one line, without a stack trace, exit code 2. */
export class UsageError extends Error {}
