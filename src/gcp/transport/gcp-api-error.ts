import { type ErrorCode, type ErrorKind, ProdguardError } from '../../kernel/errors.js';

/** The Google APIs prodguard calls, by their googleapis.com host prefix. */
export type GcpApi = 'run' | 'secretmanager' | 'sqladmin' | 'monitoring' | 'logging' | 'cloudresourcemanager';

/**
 * A Google API answered with an error: carries the HTTP status and the canonical Google status
 * (`error.status` in the JSON body, e.g. ALREADY_EXISTS, FAILED_PRECONDITION, ABORTED).
 * The message is built from masked request facts only; secret values never reach it.
 */
export class GcpApiError extends ProdguardError {
  readonly httpStatus: number;
  readonly googleStatus: string;
  readonly api: GcpApi;
  readonly method: string;
  readonly path: string;

  constructor(props: {
    api: GcpApi;
    method: string;
    path: string;
    httpStatus: number;
    googleStatus: string;
    message: string;
    attempts: number;
  }) {
    const { code, kind, hint } = classify(props.httpStatus, props.googleStatus);
    super(
      code,
      `${props.method} ${props.api}.googleapis.com${props.path} failed with HTTP ${props.httpStatus} ${props.googleStatus}: ${props.message}${props.attempts > 1 ? ` (after ${props.attempts} attempts)` : ''}`,
      {
        kind,
        hint,
        details: {
          api: props.api,
          method: props.method,
          path: props.path,
          httpStatus: props.httpStatus,
          googleStatus: props.googleStatus,
        },
      },
    );
    this.name = 'GcpApiError';
    this.httpStatus = props.httpStatus;
    this.googleStatus = props.googleStatus;
    this.api = props.api;
    this.method = props.method;
    this.path = props.path;
  }
}

function classify(
  httpStatus: number,
  googleStatus: string,
): { code: ErrorCode; kind: ErrorKind; hint: string } {
  if (httpStatus === 404 || googleStatus === 'NOT_FOUND')
    return {
      code: 'PRODGUARD_GCP_NOT_FOUND',
      kind: 'failed',
      hint: 'Check the project, region and resource names in prodguard.yaml (platform.project, platform.region, platform.service).',
    };
  if (httpStatus === 401 || httpStatus === 403)
    return {
      code: 'PRODGUARD_GCP_PERMISSION_DENIED',
      kind: 'failed',
      hint: 'Check the credentials (gcloud auth application-default login, GOOGLE_APPLICATION_CREDENTIALS or workload identity) and the IAM roles listed in docs/gcp.md.',
    };
  if (httpStatus === 409 && googleStatus === 'ABORTED')
    return {
      code: 'PRODGUARD_GCP_CONFLICT',
      kind: 'failed',
      hint: 'Someone else changed the resource since it was read (etag mismatch). Re-run the command; it reads the new state first.',
    };
  if (httpStatus === 409)
    return {
      code: 'PRODGUARD_GCP_ALREADY_EXISTS',
      kind: 'failed',
      hint: 'The resource already exists; prodguard reads it instead of creating it when re-run.',
    };
  if (httpStatus === 400 && googleStatus === 'FAILED_PRECONDITION')
    return {
      code: 'PRODGUARD_GCP_FAILED_PRECONDITION',
      kind: 'failed',
      hint: 'The resource is not in a state that allows this call (for example an operation still running on the instance).',
    };
  if (httpStatus === 400)
    return {
      code: 'PRODGUARD_GCP_INVALID_REQUEST',
      kind: 'failed',
      hint: 'Google rejected the request as invalid; the message names the field. Run the command with --plan to see the body sent.',
    };
  if (httpStatus === 429 || httpStatus >= 500 || httpStatus === 0)
    return {
      code: 'PRODGUARD_GCP_UNAVAILABLE',
      kind: 'failed',
      hint: 'Google kept answering with a transient error or did not answer in time; retry later. Check https://status.cloud.google.com.',
    };
  return {
    code: 'PRODGUARD_GCP_API_FAILED',
    kind: 'failed',
    hint: 'See the Google status in the message.',
  };
}

export function isGcpApiError(value: unknown): value is GcpApiError {
  return value instanceof GcpApiError;
}
