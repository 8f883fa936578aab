/** A Batch REST error: HTTP status, `code`, message and optional `values` detail pairs. */
export class BatchError extends Error {
  override name = 'BatchError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly values: { key: string; value: string }[] = [],
    /** Extra response headers, e.g. Retry-After. */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const notFound = (kind: 'Pool' | 'Job' | 'Task' | 'Node' | 'File', what = kind.toLowerCase()): BatchError =>
  new BatchError(404, `${kind}NotFound`, `The specified ${what} does not exist.`);

export const conflict = (code: string, message: string): BatchError => new BatchError(409, code, message);

/** 400 naming the property, as the service does for a missing or invalid property. */
export function invalidProperty(name: string, reason: string, value?: unknown): BatchError {
  const values = [{ key: 'PropertyName', value: name }];
  if (value !== undefined) values.push({ key: 'PropertyValue', value: typeof value === 'string' ? value : JSON.stringify(value) });
  values.push({ key: 'Reason', value: reason });
  return new BatchError(400, 'InvalidPropertyValue', 'The value provided for one of the properties in the request body is invalid.', values);
}

export function missingProperty(name: string): BatchError {
  return new BatchError(400, 'MissingRequiredProperty', 'A required property was not specified in the request body.', [
    { key: 'PropertyName', value: name },
  ]);
}

/** 400 for a property the request may not carry here (the Batch code for "not supported"), naming it. */
export function unsupportedProperty(name: string, reason: string): BatchError {
  return new BatchError(400, 'UnsupportedProperty', 'One of the properties specified in the request body is not supported.', [
    { key: 'PropertyName', value: name },
    { key: 'Reason', value: reason },
  ]);
}
