/** Reads a request body up to a limit, stopping as soon as the limit is passed. */
import { checkBodySize } from '../protocol/index.js';

export async function readBody(
  source: AsyncIterable<Uint8Array>,
  limit: number,
  declaredLength?: string,
): Promise<Buffer> {
  if (declaredLength !== undefined) checkBodySize(Number(declaredLength), limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of source) {
    size += chunk.byteLength;
    checkBodySize(size, limit);
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}
