/** Errors a use case raises on purpose; each carries the HTTP status it means. */
export interface FieldProblem {
  field: string;
  message: string;
}

export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    message: string,
    readonly fields: FieldProblem[] = [],
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationError extends AppError {
  constructor(fields: FieldProblem[], message = 'The request has fields that are not valid.') {
    super(422, 'Invalid request', message, fields);
  }
}

/** The caller is asking again before an earlier request of theirs has finished. */
export class TooManyRequestsError extends AppError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(429, 'Too many requests', message);
  }
}

export class MalformedRequestError extends AppError {
  constructor(message: string, fields: FieldProblem[] = []) {
    super(400, 'Malformed request', message, fields);
  }
}

export class UnauthorizedError extends AppError {
  constructor(message = 'A valid bearer token is required.') {
    super(401, 'Unauthorised', message);
  }
}

export class ForbiddenError extends AppError {
  constructor(message = 'Your role does not allow this action.') {
    super(403, 'Forbidden', message);
  }
}

export class NotFoundError extends AppError {
  constructor(message = 'No letter has that id.') {
    super(404, 'Not found', message);
  }
}

export class ConflictError extends AppError {
  constructor(message: string) {
    super(409, 'Conflict', message);
  }
}

export class PreconditionFailedError extends AppError {
  constructor(current: number) {
    super(412, 'Precondition failed', `The letter has changed: its current version is ${current}.`, [
      { field: 'If-Match', message: `must be the current version, ${current}` },
    ]);
  }
}

export class PreconditionRequiredError extends AppError {
  constructor() {
    super(428, 'Precondition required', 'Send If-Match with the version you last read.', [
      { field: 'If-Match', message: 'is required' },
    ]);
  }
}

export class PayloadTooLargeError extends AppError {
  constructor(limit: number) {
    super(413, 'Payload too large', `The body must be at most ${limit} bytes.`, [{ field: 'body', message: 'is too large' }]);
  }
}

export class UnsupportedMediaTypeError extends AppError {
  constructor() {
    super(415, 'Unsupported media type', 'Send the body as application/json.', [
      { field: 'Content-Type', message: 'must be application/json' },
    ]);
  }
}
