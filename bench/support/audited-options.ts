import type { AuditModuleOptions } from 'nestjs-audit-trail';

/**
 * The audited variant of every case: both trails on, as an application would run it. The global
 * fetch wrapper stays off: it is process-wide, and the baseline app living in the same process must
 * not pass through any of the audit code.
 */
export const AUDITED: AuditModuleOptions = {
  dataAudit: { enabled: true },
  apiAudit: { enabled: true, fetch: false },
};
