// Errors: one class per error code of the server's table (server/errors.go,
// statusByCode), all extending CinchError. A test checks this file against
// that table.

/** What a CinchError is made from; every field is optional. */
export interface CinchErrorInit {
  /** The error code; defaults to the class's own. */
  code?: string;
  /** The HTTP status; defaults to the status of the class's code. */
  status?: number;
  /** More about some errors (a refused merge's plan), as the server sent it. */
  details?: unknown;
  /** The response's X-Request-Id: the server's log line for the request has it too. */
  requestId?: string;
  /** Seconds to wait before retrying (a rate_limited response's Retry-After). */
  retryAfter?: number;
  /** The underlying error (a fetch failure, a JSON syntax error). */
  cause?: unknown;
}

/**
 * An error answered by cinch serve, or raised by the client in its terms.
 * `code` is the stable code (`tenant_not_found`, `query_rejected`, …),
 * `status` the HTTP status of the response, or, when there was none (a
 * value that cannot be sent, an aborted request, an error at the end of a
 * streamed query), the status the server's table gives the code.
 * `message` is the server's message. Catch a subclass to handle one code:
 *
 *     try { await db.query(sql) } catch (e) { if (e instanceof TenantNotFoundError) ... }
 *
 * A code the client does not know (a newer server) is a plain CinchError
 * with that code.
 */
export class CinchError extends Error {
  /** The code of this class's errors. */
  static readonly code: string = "internal";
  /** The HTTP status the server answers for this class's code. */
  static readonly status: number = 500;

  readonly code: string;
  readonly status: number;
  readonly details?: unknown;
  readonly requestId?: string;
  readonly retryAfter?: number;

  constructor(message: string, init: CinchErrorInit = {}) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    const cls = new.target as typeof CinchError;
    this.name = cls.name;
    this.code = init.code ?? cls.code;
    this.status = init.status ?? statusOf(this.code);
    if (init.details !== undefined) this.details = init.details;
    if (init.requestId !== undefined) this.requestId = init.requestId;
    if (init.retryAfter !== undefined) this.retryAfter = init.retryAfter;
  }
}

/** invalid_name (400): invalid name. */
export class InvalidNameError extends CinchError {
  static override readonly code: string = "invalid_name";
  static override readonly status: number = 400;
}
/** invalid_input (400): invalid input. */
export class InvalidInputError extends CinchError {
  static override readonly code: string = "invalid_input";
  static override readonly status: number = 400;
}
/** query_rejected (400): query rejected. */
export class QueryRejectedError extends CinchError {
  static override readonly code: string = "query_rejected";
  static override readonly status: number = 400;
}
/** limit_exceeded (400): limit exceeded. */
export class LimitExceededError extends CinchError {
  static override readonly code: string = "limit_exceeded";
  static override readonly status: number = 400;
}
/** confirmation_needed (400): confirmation needed. */
export class ConfirmationNeededError extends CinchError {
  static override readonly code: string = "confirmation_needed";
  static override readonly status: number = 400;
}
/** tenant_required (400): tenant required. */
export class TenantRequiredError extends CinchError {
  static override readonly code: string = "tenant_required";
  static override readonly status: number = 400;
}
/** unauthorized (401): unauthorized. */
export class UnauthorizedError extends CinchError {
  static override readonly code: string = "unauthorized";
  static override readonly status: number = 401;
}
/** forbidden (403): forbidden. */
export class ForbiddenError extends CinchError {
  static override readonly code: string = "forbidden";
  static override readonly status: number = 403;
}
/** read_only (403): read-only. */
export class ReadOnlyError extends CinchError {
  static override readonly code: string = "read_only";
  static override readonly status: number = 403;
}
/** encryption_key (403): missing or wrong encryption key. */
export class EncryptionKeyError extends CinchError {
  static override readonly code: string = "encryption_key";
  static override readonly status: number = 403;
}
/** database_not_found (404): database not found. */
export class DatabaseNotFoundError extends CinchError {
  static override readonly code: string = "database_not_found";
  static override readonly status: number = 404;
}
/** branch_not_found (404): branch not found. */
export class BranchNotFoundError extends CinchError {
  static override readonly code: string = "branch_not_found";
  static override readonly status: number = 404;
}
/** tenant_not_found (404): tenant not found. */
export class TenantNotFoundError extends CinchError {
  static override readonly code: string = "tenant_not_found";
  static override readonly status: number = 404;
}
/** table_not_found (404): table not found. */
export class TableNotFoundError extends CinchError {
  static override readonly code: string = "table_not_found";
  static override readonly status: number = 404;
}
/** column_not_found (404): column not found. */
export class ColumnNotFoundError extends CinchError {
  static override readonly code: string = "column_not_found";
  static override readonly status: number = 404;
}
/** view_not_found (404): view not found. */
export class ViewNotFoundError extends CinchError {
  static override readonly code: string = "view_not_found";
  static override readonly status: number = 404;
}
/** index_not_found (404): index not found. */
export class IndexNotFoundError extends CinchError {
  static override readonly code: string = "index_not_found";
  static override readonly status: number = 404;
}
/** row_not_found (404): row not found. */
export class RowNotFoundError extends CinchError {
  static override readonly code: string = "row_not_found";
  static override readonly status: number = 404;
}
/** key_not_found (404): key not found (in a tenant's key-value store). */
export class KeyNotFoundError extends CinchError {
  static override readonly code: string = "key_not_found";
  static override readonly status: number = 404;
}
/** group_not_found (404): group not found. */
export class GroupNotFoundError extends CinchError {
  static override readonly code: string = "group_not_found";
  static override readonly status: number = 404;
}
/** route_not_found (404): no route matches the path. */
export class RouteNotFoundError extends CinchError {
  static override readonly code: string = "route_not_found";
  static override readonly status: number = 404;
}
/** method_not_allowed (405): the route exists for other methods. */
export class MethodNotAllowedError extends CinchError {
  static override readonly code: string = "method_not_allowed";
  static override readonly status: number = 405;
}
/** unsupported_media_type (415): a request body that is not JSON. */
export class UnsupportedMediaTypeError extends CinchError {
  static override readonly code: string = "unsupported_media_type";
  static override readonly status: number = 415;
}
/** canceled (408): canceled. */
export class CanceledError extends CinchError {
  static override readonly code: string = "canceled";
  static override readonly status: number = 408;
}
/** project_exists (409): project already exists. */
export class ProjectExistsError extends CinchError {
  static override readonly code: string = "project_exists";
  static override readonly status: number = 409;
}
/** database_exists (409): database already exists. */
export class DatabaseExistsError extends CinchError {
  static override readonly code: string = "database_exists";
  static override readonly status: number = 409;
}
/** branch_exists (409): branch already exists. */
export class BranchExistsError extends CinchError {
  static override readonly code: string = "branch_exists";
  static override readonly status: number = 409;
}
/** tenant_exists (409): tenant already exists. */
export class TenantExistsError extends CinchError {
  static override readonly code: string = "tenant_exists";
  static override readonly status: number = 409;
}
/** table_exists (409): table already exists. */
export class TableExistsError extends CinchError {
  static override readonly code: string = "table_exists";
  static override readonly status: number = 409;
}
/** column_exists (409): column already exists. */
export class ColumnExistsError extends CinchError {
  static override readonly code: string = "column_exists";
  static override readonly status: number = 409;
}
/** view_exists (409): view already exists. */
export class ViewExistsError extends CinchError {
  static override readonly code: string = "view_exists";
  static override readonly status: number = 409;
}
/** index_exists (409): index already exists. */
export class IndexExistsError extends CinchError {
  static override readonly code: string = "index_exists";
  static override readonly status: number = 409;
}
/** group_exists (409): group already exists. */
export class GroupExistsError extends CinchError {
  static override readonly code: string = "group_exists";
  static override readonly status: number = 409;
}
/** tenant_archived (409): tenant archived. */
export class TenantArchivedError extends CinchError {
  static override readonly code: string = "tenant_archived";
  static override readonly status: number = 409;
}
/** protected (409): protected. */
export class ProtectedError extends CinchError {
  static override readonly code: string = "protected";
  static override readonly status: number = 409;
}
/** constraint_failed (409): constraint failed. */
export class ConstraintFailedError extends CinchError {
  static override readonly code: string = "constraint_failed";
  static override readonly status: number = 409;
}
/** rollout_failed (409): schema change failed. */
export class RolloutFailedError extends CinchError {
  static override readonly code: string = "rollout_failed";
  static override readonly status: number = 409;
}
/** schema_drift (409): schema drift. */
export class SchemaDriftError extends CinchError {
  static override readonly code: string = "schema_drift";
  static override readonly status: number = 409;
}
/** conflict (409): conflict. */
export class ConflictError extends CinchError {
  static override readonly code: string = "conflict";
  static override readonly status: number = 409;
}
/** busy (409): busy. */
export class BusyError extends CinchError {
  static override readonly code: string = "busy";
  static override readonly status: number = 409;
}
/** too_large (413): too large. */
export class TooLargeError extends CinchError {
  static override readonly code: string = "too_large";
  static override readonly status: number = 413;
}
/** disk_full (507): disk full. */
export class DiskFullError extends CinchError {
  static override readonly code: string = "disk_full";
  static override readonly status: number = 507;
}
/** rate_limited (429): rate limited. */
export class RateLimitedError extends CinchError {
  static override readonly code: string = "rate_limited";
  static override readonly status: number = 429;
}
/** not_implemented (501): not implemented. */
export class NotImplementedError extends CinchError {
  static override readonly code: string = "not_implemented";
  static override readonly status: number = 501;
}
/** not_owner (503): another cluster node owns the tenant; retry. */
export class NotOwnerError extends CinchError {
  static override readonly code: string = "not_owner";
  static override readonly status: number = 503;
}
/** unavailable (503): the cluster cannot take writes now; retry later. */
export class UnavailableError extends CinchError {
  static override readonly code: string = "unavailable";
  static override readonly status: number = 503;
}
/** no_project (500): No CinchDB project found. */
export class NoProjectError extends CinchError {
  static override readonly code: string = "no_project";
  static override readonly status: number = 500;
}
/** internal (500): internal error. */
export class InternalError extends CinchError {
  static override readonly code: string = "internal";
  static override readonly status: number = 500;
}

/** Every error class by its code: the server's table, inverted. */
export const ERROR_CLASSES = {
  invalid_name: InvalidNameError,
  invalid_input: InvalidInputError,
  query_rejected: QueryRejectedError,
  limit_exceeded: LimitExceededError,
  confirmation_needed: ConfirmationNeededError,
  tenant_required: TenantRequiredError,
  unauthorized: UnauthorizedError,
  forbidden: ForbiddenError,
  read_only: ReadOnlyError,
  encryption_key: EncryptionKeyError,
  database_not_found: DatabaseNotFoundError,
  branch_not_found: BranchNotFoundError,
  tenant_not_found: TenantNotFoundError,
  table_not_found: TableNotFoundError,
  column_not_found: ColumnNotFoundError,
  view_not_found: ViewNotFoundError,
  index_not_found: IndexNotFoundError,
  row_not_found: RowNotFoundError,
  key_not_found: KeyNotFoundError,
  group_not_found: GroupNotFoundError,
  route_not_found: RouteNotFoundError,
  method_not_allowed: MethodNotAllowedError,
  unsupported_media_type: UnsupportedMediaTypeError,
  canceled: CanceledError,
  project_exists: ProjectExistsError,
  database_exists: DatabaseExistsError,
  branch_exists: BranchExistsError,
  tenant_exists: TenantExistsError,
  table_exists: TableExistsError,
  column_exists: ColumnExistsError,
  view_exists: ViewExistsError,
  index_exists: IndexExistsError,
  group_exists: GroupExistsError,
  tenant_archived: TenantArchivedError,
  protected: ProtectedError,
  constraint_failed: ConstraintFailedError,
  rollout_failed: RolloutFailedError,
  schema_drift: SchemaDriftError,
  conflict: ConflictError,
  busy: BusyError,
  too_large: TooLargeError,
  disk_full: DiskFullError,
  rate_limited: RateLimitedError,
  not_implemented: NotImplementedError,
  not_owner: NotOwnerError,
  unavailable: UnavailableError,
  no_project: NoProjectError,
  internal: InternalError,
} as const satisfies Record<string, typeof CinchError>;

/** A code of the server's table. */
export type ErrorCode = keyof typeof ERROR_CLASSES;

function classOf(code: string): typeof CinchError | undefined {
  return Object.prototype.hasOwnProperty.call(ERROR_CLASSES, code) ? ERROR_CLASSES[code as ErrorCode] : undefined;
}

/** The HTTP status the server answers for code: 500 for a code it does not know, as the server does. */
export function statusOf(code: string): number {
  return classOf(code)?.status ?? 500;
}

/** An error of the class of code (a plain CinchError for an unknown code). */
export function errorFromCode(code: string, message: string, init: Omit<CinchErrorInit, "code"> = {}): CinchError {
  const cls = classOf(code) ?? CinchError;
  return new cls(message, { ...init, code });
}
