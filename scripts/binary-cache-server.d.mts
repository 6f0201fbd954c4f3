/** One request the cache answered: what Nix asked, what went over the wire, whether it sent the login. */
export interface CacheRequest {
  method: string;
  /** The path below the cache's URL (its random path prefix removed), e.g. `/nar/….nar.xz`. */
  path: string;
  status: number;
  /** Bytes of the body: sent for a GET, received for an upload. */
  bytes: number;
  authorized: boolean;
  /** The Authorization header as sent, to prove the password went over the wire and nowhere else. */
  authorization?: string;
}

export interface BinaryCacheOptions {
  /** Where the cache keeps its files (made if missing, with a nix-cache-info if it has none). */
  dir: string;
  /** Where it listens: 127.0.0.1 unless told. */
  host?: string;
  /** 0 (unless told): any free port. */
  port?: number;
  /** The URL's path (`/name`); a random one unless told, `''` for none. */
  pathPrefix?: string;
  /** Take uploads (PUT); with a `login`, only from it. */
  uploads?: boolean;
  /** The Basic-auth login uploads (and, with `privateReads`, reads) need. */
  login?: { user: string; password: string };
  /** Also refuse reads (GET, HEAD) without the login, as a private cache does. */
  privateReads?: boolean;
  /** Called once per answered request, besides `requests`. */
  onRequest?: (request: CacheRequest) => void;
}

export interface BinaryCacheServer {
  /** `http://HOST:PORT/<prefix>`: the store URL for `nix copy` and substituters. */
  url: string;
  port: number;
  dir: string;
  /** Every request answered so far, in order. */
  requests: CacheRequest[];
  /** The narinfo files the cache holds, by name (`<hash>.narinfo`). */
  narinfoNames(): Promise<string[]>;
  close(): Promise<void>;
}

/** An HTTP binary cache over `dir`; the same module runs it as its own process (see the .mjs). */
export function startBinaryCache(options: BinaryCacheOptions): Promise<BinaryCacheServer>;
