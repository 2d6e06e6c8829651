import { GoogleAuth } from 'google-auth-library';
import { ProdguardError } from '../../kernel/errors.js';
import type { GcpTokenSource } from './rest-transport.js';

export const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';

export interface GoogleTokenSourceOptions {
  /**
   * A service account key file or an external-account (workload identity federation) JSON. Omit to use
   * Application Default Credentials: GOOGLE_APPLICATION_CREDENTIALS, gcloud's ADC file, or the metadata
   * server on Google Cloud. google-auth-library resolves all three, and refreshes tokens before expiry.
   */
  keyFile?: string;
}

/** Tokens from google-auth-library; creating the source does no network I/O, the first call does. */
export function googleTokenSource(options: GoogleTokenSourceOptions = {}): GcpTokenSource {
  const auth = new GoogleAuth({
    scopes: [CLOUD_PLATFORM_SCOPE],
    ...(options.keyFile ? { keyFilename: options.keyFile } : {}),
  });
  return async () => {
    let token: string | null | undefined;
    try {
      token = await auth.getAccessToken();
    } catch (cause) {
      throw new ProdguardError(
        'PRODGUARD_GCP_NO_CREDENTIALS',
        `No Google credentials: ${cause instanceof Error ? cause.message.split('\n')[0] : String(cause)}`,
        {
          cause,
          hint: 'Run `gcloud auth application-default login`, set GOOGLE_APPLICATION_CREDENTIALS to a key or workload identity file, or pass --key-file.',
        },
      );
    }
    if (!token)
      throw new ProdguardError(
        'PRODGUARD_GCP_NO_CREDENTIALS',
        'Google credentials returned no access token.',
        {
          hint: 'Check the credentials with `gcloud auth application-default print-access-token`.',
        },
      );
    return token;
  };
}
