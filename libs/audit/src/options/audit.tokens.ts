/** Injection token of the validated, fully defaulted options. */
export const AUDIT_OPTIONS = Symbol('nestjs-audit-trail:options');
/** Injection token of the options as the user gave them to forRootAsync's factory. */
export const AUDIT_RAW_OPTIONS = Symbol('nestjs-audit-trail:raw-options');

/** Injection token of the AuditStorage (audited DataSource, dialect, stores). */
export const AUDIT_STORAGE = Symbol('nestjs-audit-trail:storage');
/** Injection token of the DataTrailRecorder. */
export const AUDIT_DATA_TRAIL = Symbol('nestjs-audit-trail:data-trail');
/** Injection token of the ApiTrailRecorder. */
export const AUDIT_API_TRAIL = Symbol('nestjs-audit-trail:api-trail');
