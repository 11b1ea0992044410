/** One request to the management API, as it will be sent. */
export interface ApiRequest {
  readonly method: string;
  readonly url: URL;
  /** Lower-case names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

/**
 * How a request proves who sends it: a bearer token for `feedrelay serve`, SigV4 for API Gateway with IAM
 * authorization. Returns the headers to send (the request's own plus the proof).
 */
export interface RequestSigner {
  /** Says which credentials are used, for a refusal's message ("bearer token from …"). */
  readonly description: string;
  sign(request: ApiRequest): Promise<Record<string, string>>;
}

/** `Authorization: Bearer <token>`, as `feedrelay serve` requires. */
export class BearerTokenSigner implements RequestSigner {
  constructor(
    private readonly token: string,
    readonly description: string,
  ) {}

  async sign(request: ApiRequest): Promise<Record<string, string>> {
    return { ...request.headers, authorization: `Bearer ${this.token}` };
  }
}
