/** The team's own activities; the worker registers them next to spc-temporal's. */
export async function composeGreeting(name: string): Promise<string> {
  return `hello, ${name}`;
}
