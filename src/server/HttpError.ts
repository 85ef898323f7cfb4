import type { z } from 'zod';

/** One problem with a request, in the control API's error shape. */
export interface ErrorDetail {
  readonly path: string;
  readonly message: string;
  readonly code: string;
}

/** The control API's standard error body. */
export interface ErrorBody {
  readonly success: false;
  readonly error: string;
  readonly details: { readonly errors: readonly ErrorDetail[] };
}

/** A failure with its HTTP status; the handler turns it into an {@link ErrorBody}. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors: readonly ErrorDetail[] = [],
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }

  body(): ErrorBody {
    return { success: false, error: this.message, details: { errors: this.errors } };
  }
}

/** A 400 naming each bad field; `where` prefixes the path (`query`, `body`). */
export function validationError(error: z.ZodError, where: string): HttpError {
  const errors = error.issues.flatMap((issue): ErrorDetail[] => {
    const base = [where, ...issue.path.map(String)].join('.');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: `${base}.${key}`, message: `unknown field \`${key}\``, code: issue.code }));
    }
    return [{ path: base, message: issue.message, code: issue.code }];
  });
  return new HttpError(400, `invalid request ${where}`, errors);
}
