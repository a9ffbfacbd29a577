import * as bcrypt from 'bcrypt';

/** bcrypt with a configurable cost (seed 001: 12). */
export class PasswordHasher {
  private dummyHash?: Promise<string>;

  constructor(readonly cost: number) {}

  hash(password: string): Promise<string> {
    return bcrypt.hash(password, this.cost);
  }

  verify(password: string, hash: string): Promise<boolean> {
    return bcrypt.compare(password, hash);
  }

  /**
   * Spends the same time as a real check when the email is unknown, so response time does not reveal
   * which emails have accounts. Always false.
   */
  async verifyDummy(password: string): Promise<false> {
    this.dummyHash ??= bcrypt.hash('no-such-user-placeholder', this.cost);
    await bcrypt.compare(password, await this.dummyHash);
    return false;
  }
}
