// A bound on how long the service waits for something it does not control (a connection, a close, attempts in
// flight): shutdown and start-up must go on after the bound whatever the other side does.

/**
 * Waits for `operation` at most `ms` milliseconds: true when it settled (resolved or rejected) in time, false
 * when the bound came first. A rejection is absorbed either way, and the timer never outlives the wait.
 */
export async function settleWithin (operation: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const settled = operation.then(() => true, () => true)
  const bound = new Promise<false>((resolve) => { timer = setTimeout(() => resolve(false), ms) })
  try {
    return await Promise.race([settled, bound])
  } finally {
    clearTimeout(timer)
  }
}
