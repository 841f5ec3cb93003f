/**
 * The resolved database URL: `DATABASE_URL`, or the embedded server's URL when that is unset.
 * Provided by the bootstrap, which knows which of the two is in use.
 */
export class DatabaseUrl {
  constructor(
    readonly url: string,
    readonly embedded: boolean,
  ) {}

  /** The URL with its password masked, for logs and the start banner. */
  get display(): string {
    return this.url.replace(/:\/\/([^:@/]+):[^@]*@/, '://$1:***@');
  }
}
