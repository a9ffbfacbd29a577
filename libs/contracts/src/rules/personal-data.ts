/**
 * Masking of personal data where it is kept for accountability rather than use: seed 004 "Data Protection"
 * ("Sensitive Data: automatic masking in logs and audit trails"). The clear value lives only in user-service,
 * column-encrypted (docs/security.md).
 */

/** A masked email: its local part's first character, `***`, then the domain as given (`a***@example.com`). */
export const MASKED_EMAIL = /^[^@\s]\*\*\*@[^@\s]+$/;

/**
 * `ada.lovelace@example.com` → `a***@example.com`: an analyst sees which domain registered and can tell two
 * addresses of one domain apart by their first letter only. `email` must be a valid address (the contract's
 * email rule); the result matches `MASKED_EMAIL`.
 */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  return `${email.slice(0, 1)}***${email.slice(at)}`;
}
