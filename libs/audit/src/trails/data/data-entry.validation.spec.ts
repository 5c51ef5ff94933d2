import type { DataEntry } from '../../store/audit-entry';
import { AuditEntryError, checkDataEntry } from './data-entry.validation';

const entry: DataEntry = {
  entityType: 'ledger',
  entityId: 'L-1',
  action: 'update',
  oldValues: { a: 1 },
  newValues: { a: 2 },
};

describe('checkDataEntry', () => {
  it('accepts an entry whose fields fit their columns', () => {
    const full = {
      ...entry,
      userId: 'u'.repeat(100),
      userType: 't'.repeat(50),
      metadata: null,
      transactionId: 'job:42',
      createdAt: new Date(),
    };
    expect(checkDataEntry(full)).toBe(full);
    expect(checkDataEntry({ ...entry, transactionId: '' })).toBeTruthy();
  });

  it.each<[string, unknown, RegExp]>([
    ['no entry', null, /recordDataChange: entry must be an object/],
    [
      'an entityType of 101 characters',
      { ...entry, entityType: 'x'.repeat(101) },
      /entityType must be a string of 1 to 100 characters \(got a string of 101 characters\)/,
    ],
    ['an empty entityId', { ...entry, entityId: '' }, /entityId must be a string of 1 to 100 characters/],
    ['a numeric entityId', { ...entry, entityId: 7 }, /entityId must be a string/],
    [
      'an unknown action',
      { ...entry, action: 'upsert' },
      /action must be one of create, update, delete, soft_delete, restore \(got "upsert"\)/,
    ],
    [
      'a userId of 101 characters',
      { ...entry, userId: 'u'.repeat(101) },
      /userId must be a string of at most 100 characters/,
    ],
    [
      'a userType of 51 characters',
      { ...entry, userType: 't'.repeat(51) },
      /userType must be a string of at most 50 characters/,
    ],
    [
      'an array of new values',
      { ...entry, newValues: [1] },
      /newValues must be an object of column values or null \(got an array\)/,
    ],
    ['a string as metadata', { ...entry, metadata: 'x' }, /metadata must be an object or null/],
    [
      'a transaction ID with CR/LF',
      { ...entry, transactionId: 'a\r\nb' },
      /transactionId must be 1 to 100 characters from A-Z a-z 0-9 _ \. : -/,
    ],
    ['a transaction ID of 300 characters', { ...entry, transactionId: 'a'.repeat(300) }, /transactionId must be/],
    [
      'an invalid createdAt',
      { ...entry, createdAt: new Date('x') },
      /createdAt must be a valid Date \(got Invalid Date\)/,
    ],
  ])('#15 refuses %s', (_case, candidate, message) => {
    expect(() => checkDataEntry(candidate)).toThrow(AuditEntryError);
    expect(() => checkDataEntry(candidate)).toThrow(message);
  });
});
