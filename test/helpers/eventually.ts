/** Polls until the check passes, or fails with the message after `ms`. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  ms = 8000,
  message = 'condition not met in time',
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(message);
    await new Promise((r) => setTimeout(r, 25));
  }
}
