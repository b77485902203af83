/** The query strings the dashboard's pages and API take, checked with zod; a bad value is a 400 naming the field. */
import * as z from 'zod';

const text = z
  .string()
  .trim()
  .max(200)
  .optional()
  .transform((v) => (v ? v : undefined));
const whole = (max: number) => z.coerce.number().int().min(1).max(max).optional();
const choice = <T extends readonly [string, ...string[]]>(values: T) =>
  z
    .union([z.enum(values), z.literal('')])
    .optional()
    .transform((v) => (v ? v : undefined));

export const inboxFilter = z.object({
  event: text,
  memberId: text,
  status: choice(['pending', 'processing', 'done', 'failed'] as const),
  before: whole(Number.MAX_SAFE_INTEGER),
  limit: whole(500),
});

export const permissionFilter = z.object({
  memberId: text,
  method: text,
  state: choice(['waiting', 'granted', 'denied', 'expired'] as const),
});

export const callFilter = z.object({
  memberId: text,
  state: choice(['waiting', 'ready', 'done', 'denied', 'failed'] as const),
  limit: whole(500),
});

export const chartRange = z.object({ hours: whole(24) });

export const idParam = z.object({
  id: z
    .string()
    .regex(/^\d{1,15}$/)
    .transform(Number),
});

export class BadQueryError extends Error {
  readonly status = 400;
  constructor(readonly issues: { path: string; message: string }[]) {
    super(issues.map((i) => `${i.path}: ${i.message}`).join('; '));
  }
}

export function parse<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  throw new BadQueryError(
    result.error.issues.map((i) => ({ path: i.path.join('.') || '(query)', message: i.message })),
  );
}
