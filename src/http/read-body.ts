/** Reads a request body up to a limit, stopping as soon as the limit is passed. */
import { PayloadTooLargeError } from '../protocol/index.js';

export async function readBody(
  source: AsyncIterable<Uint8Array>,
  limit: number,
  declaredLength?: string,
): Promise<Buffer> {
  if (declaredLength !== undefined && Number(declaredLength) > limit) throw new PayloadTooLargeError(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of source) {
    size += chunk.byteLength;
    if (size > limit) throw new PayloadTooLargeError(limit);
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}
