/** A stack failure the user can fix; the CLI prints its message as one line, without a stack trace. */
export class StackError extends Error {
  override name = 'StackError';
}
