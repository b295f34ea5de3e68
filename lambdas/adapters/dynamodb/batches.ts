/** How often one batch is sent before giving up on what DynamoDB keeps leaving unprocessed. */
const ATTEMPTS = 10;

/**
 * Sends `items` in batches of at most `size` (DynamoDB's limit for the request), sending again,
 * with backoff, whatever a request leaves unprocessed: DynamoDB may do so under load, and the rest
 * of the batch is still owed. `send` answers with the items left unprocessed.
 */
export async function sendInBatches<T>(items: T[], size: number, send: (batch: T[]) => Promise<T[]>, gaveUp: () => Error): Promise<void> {
  for (let i = 0; i < items.length; i += size) {
    let left = items.slice(i, i + size);
    for (let attempt = 1; left.length > 0; attempt++) {
      if (attempt > ATTEMPTS) throw gaveUp();
      if (attempt > 1) await new Promise((resolve) => setTimeout(resolve, Math.min(1_000, 20 * 2 ** (attempt - 1))));
      left = await send(left);
    }
  }
}
