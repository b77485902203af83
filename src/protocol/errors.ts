/** Errors that carry an HTTP status and a stable code; every answer the receiver refuses is one of these. */

export interface FieldIssue {
  path: string;
  message: string;
}

export class B24EventsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = new.target.name;
  }

  toJSON(): { error: string; message: string; details?: unknown } {
    return this.details === undefined
      ? { error: this.code, message: this.message }
      : { error: this.code, message: this.message, details: this.details };
  }
}

/**
 * A key (or path of keys) as an error may show it: only when it looks like a key. A body sent with the wrong content
 * type makes keys of whole JSON texts, secrets included, so anything else is described, not quoted.
 */
export function shownKey(key: string): string {
  return /^[\w.\-[\] ]{1,64}$/.test(key) ? key : `(a key of ${key.length} characters, not shown)`;
}

export class MethodNotAllowedError extends B24EventsError {
  constructor(method: string) {
    const name = /^[A-Za-z]{1,16}$/.test(method) ? method.toUpperCase() : 'this method';
    super('method_not_allowed', `Bitrix24 delivers events with POST; ${name} is not accepted here.`, 405);
  }
}

export class UnsupportedMediaTypeError extends B24EventsError {
  constructor(contentType: string | undefined) {
    const mediaType = contentType?.split(';')[0]?.trim() ?? '';
    const named = /^[\w.+-]{1,64}\/[\w.+-]{1,64}$/.test(mediaType)
      ? `"${mediaType}"`
      : contentType
        ? '(unreadable)'
        : '(none)';
    super(
      'unsupported_media_type',
      `Content type ${named} is not accepted: send application/x-www-form-urlencoded (as Bitrix24 does) or application/json.`,
      415,
    );
  }
}

export class PayloadTooLargeError extends B24EventsError {
  constructor(limit: number) {
    super('payload_too_large', `The body is larger than the limit of ${limit} bytes.`, 413);
  }
}

export class MalformedBodyError extends B24EventsError {
  constructor(message: string) {
    super('malformed_body', message, 400);
  }
}

export class ForbiddenKeyError extends B24EventsError {
  constructor(key: string) {
    super('forbidden_key', `The key ${shownKey(key)} names an object prototype property and is refused.`, 400);
  }
}

export class InvalidEventError extends B24EventsError {
  constructor(readonly issues: FieldIssue[]) {
    super(
      'invalid_event',
      `The event is missing fields or has invalid ones: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
      400,
      issues,
    );
  }
}
