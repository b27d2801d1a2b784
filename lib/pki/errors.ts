/**
 * An error caused by the input a user gave us (a file, a prop, a flag), as opposed to a bug.
 * The CLI prints these as one paragraph without a stack trace and exits 1 or 2.
 */
export class UserInputError extends Error {
  /** Which input was wrong: a file path, a prop name or a flag. */
  public readonly field: string;
  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = 'UserInputError';
    this.field = field;
  }
}
