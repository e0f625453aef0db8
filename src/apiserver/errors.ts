/** API errors as `Status` objects (API conventions: "kind": "Status", reason, code). Pure. */

export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export function statusObject(e: ApiError): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: e.message, reason: e.reason, ...(e.details ? { details: e.details } : {}), code: e.code };
}

export const notFound = (resource: string, name: string, group = ''): ApiError =>
  new ApiError(404, 'NotFound', `${resource}${group ? `.${group}` : ''} "${name}" not found`, { name, group, kind: resource });
export const alreadyExists = (resource: string, name: string, group = ''): ApiError =>
  new ApiError(409, 'AlreadyExists', `${resource}${group ? `.${group}` : ''} "${name}" already exists`, { name, group, kind: resource });
export const conflict = (resource: string, name: string, why: string, group = ''): ApiError =>
  new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${resource}${group ? `.${group}` : ''} "${name}": ${why}`, { name, group, kind: resource });
export const badRequest = (message: string): ApiError => new ApiError(400, 'BadRequest', message);
export const invalid = (kind: string, name: string, causes: { field: string; message: string }[], group = ''): ApiError =>
  new ApiError(422, 'Invalid', `${kind}${group ? `.${group}` : ''} "${name}" is invalid: ${causes.map((c) => `${c.field}: ${c.message}`).join(', ')}`, {
    name, group, kind, causes: causes.map((c) => ({ reason: 'FieldValueInvalid', message: c.message, field: c.field })),
  });
export const gone = (message: string): ApiError => new ApiError(410, 'Expired', message);
