/**
 * The `platform:` block of a production environment on Cloud Run in the fakes' project (cvstomize-prod,
 * us-central1, service api), indented under its environment, with a maintenance image and the Cloud SQL
 * instance when asked for.
 */
export function cloudRunPlatformYaml(options: { maintenance?: boolean; sqlInstance?: boolean } = {}): string {
  return `    platform:
      kind: cloudrun
      project: cvstomize-prod
      region: us-central1
      service: api
      image: us-docker.pkg.dev/cvstomize-prod/app/api:{commit}
${options.maintenance ? '      maintenanceImage: us-docker.pkg.dev/cvstomize-prod/app/maintenance:1\n' : ''}${options.sqlInstance ? '      sqlInstance: api-db\n' : ''}`;
}
