/** Runs `tasks` two at a time: each may start a JVM, and the machine may have only two cores. */
export async function runInPairs(tasks: readonly (() => Promise<void>)[]): Promise<void> {
  for (let index = 0; index < tasks.length; index += 2) {
    await Promise.all(tasks.slice(index, index + 2).map(async (task) => await task()));
  }
}
