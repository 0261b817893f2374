/** Self-hosted proof-of-work CAPTCHA (ALTCHA). */
export interface Captcha {
  createChallenge(): Promise<unknown>;
  /** True when the solution is valid, unexpired and not used before. */
  verify(solution: string): Promise<boolean>;
}
