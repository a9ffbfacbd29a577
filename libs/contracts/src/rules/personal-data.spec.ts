import { MASKED_EMAIL, maskEmail } from './personal-data';

describe('maskEmail', () => {
  it.each([
    ['ada.lovelace@example.com', 'a***@example.com'],
    ['a@example.com', 'a***@example.com'],
    ['"quoted@local"@example.org', '"***@example.org'],
    ['Zed+tag@sub.example.co.uk', 'Z***@sub.example.co.uk'],
  ])('%s → %s, matching MASKED_EMAIL, and keeping nothing else of the local part', (email, masked) => {
    expect(maskEmail(email)).toBe(masked);
    expect(maskEmail(email)).toMatch(MASKED_EMAIL);
  });

  it('should not accept a clear address as masked', () => {
    expect('ada@example.com').not.toMatch(MASKED_EMAIL);
  });
});
