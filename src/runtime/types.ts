/**
 * The runtime contract. The core (everything outside `src/runtime/`) only ever talks to
 * a {@link Runtime}; each adapter (Deno native, Bun native, node:net) supplies one.
 *
 * Contract rules every adapter must keep (the conformance suite in
 * `tests/runtime_conformance_test.ts` proves them):
 * - `write()` resolves only when every byte has been accepted by the OS (or by a
 *   bounded in-adapter queue that the promise waits on); bytes are never dropped and
 *   never buffered without bound. Concurrent writes keep their order.
 * - `read()` returns the next chunk, or `null` exactly once at EOF (and afterwards).
 * - `closeWrite()` half-closes: the peer sees EOF, this side can still read.
 * - Errors surface as {@link RuntimeError} with a portable `code` (see {@link ErrorCode}).
 */

/** Portable error codes, identical on every adapter. */
export type ErrorCode =
  | "ENOENT" // no such socket file / path
  | "ECONNREFUSED" // socket file exists, nobody listening (stale)
  | "EADDRINUSE" // listen path already taken
  | "ENAMETOOLONG" // socket path longer than MAX_SOCKET_PATH bytes
  | "EPIPE" // peer went away while writing
  | "ECONNRESET" // peer reset
  | "EAGAIN" // connect: the listener's backlog is full (busy, not gone); try again
  | "EEXIST"
  | "EACCES"
  | "ENOTDIR"
  | "ECLOSED" // operation on a connection this side already closed
  | "EOTHER";

/** An error from the runtime layer, with a code that does not depend on the adapter. */
export class RuntimeError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "RuntimeError";
    this.code = code;
  }
}

/** Longest socket path (bytes, UTF-8) any adapter accepts; sockaddr_un is 104 on macOS. */
export const MAX_SOCKET_PATH = 103;

/** A readable byte stream (socket read side, child stdout/stderr, process stdin). */
export interface ByteReader {
  /** Next chunk, or `null` at EOF. Never resolves with an empty chunk. */
  read(): Promise<Uint8Array | null>;
}

/** A writable byte stream (socket write side, child stdin, process stdout). */
export interface ByteWriter {
  /** Resolves when all of `data` is accepted; rejects with RuntimeError (EPIPE…) otherwise. */
  write(data: Uint8Array): Promise<void>;
  /** Flush what is queued, then signal EOF to the reader. Idempotent. */
  closeWrite(): Promise<void>;
}

/** A connected stream socket. */
export interface Conn extends ByteReader, ByteWriter {
  /** Close both directions now; pending reads resolve `null`, pending writes reject. Idempotent. */
  close(): void;
}

/** A listening Unix socket. */
export interface Listener {
  readonly path: string;
  /** Next connection, or `null` once the listener is closed. */
  accept(): Promise<Conn | null>;
  /** Stop accepting. Does not unlink the socket file (the caller owns the path). */
  close(): void;
}

export type Signal = "SIGTERM" | "SIGINT" | "SIGHUP" | "SIGKILL" | "SIGSTOP" | "SIGCONT" | "SIGQUIT";

export interface ExitStatus {
  /** Exit code, or null when killed by a signal. */
  code: number | null;
  /** Signal name when killed by a signal. */
  signal: string | null;
}

/** Where a child's stdio goes. A string is a file path opened for appending. */
export type StdioSpec = "pipe" | "null" | "inherit" | { appendTo: string };

export interface SpawnOptions {
  cwd?: string;
  /** Full environment (not merged with ours) when given. */
  env?: Record<string, string>;
  stdin?: "pipe" | "null" | "inherit";
  stdout?: StdioSpec;
  stderr?: StdioSpec;
  /**
   * New session (setsid): the child leads its own process group, survives our
   * SIGHUP, and `killGroup()` reaches its descendants.
   */
  detached?: boolean;
}

export interface ChildProcess {
  readonly pid: number;
  /** Present when stdin is "pipe". */
  readonly stdin: ByteWriter | null;
  /** Present when stdout is "pipe". */
  readonly stdout: ByteReader | null;
  /** Present when stderr is "pipe". */
  readonly stderr: ByteReader | null;
  /** Settles once, when the process has exited. */
  readonly exited: Promise<ExitStatus>;
  /** Signal the process. Never throws for an already-dead process. */
  kill(signal?: Signal): void;
  /** Signal the whole process group (only meaningful for `detached` children). */
  killGroup(signal?: Signal): void;
  /** Do not keep our event loop alive for this child. */
  unref(): void;
}

export interface FileInfo {
  isFile: boolean;
  isDirectory: boolean;
  isSymlink: boolean;
  isSocket: boolean;
  mode: number; // permission bits and type bits as from stat(2)
  uid: number;
  gid: number;
  size: number;
  mtimeMs: number;
}

/** File-system operations. Errors are RuntimeError with ENOENT/EEXIST/EACCES/ENOTDIR/EOTHER. */
export interface Fs {
  lstat(path: string): Promise<FileInfo>;
  stat(path: string): Promise<FileInfo>;
  mkdir(path: string, mode: number): Promise<void>;
  chmod(path: string, mode: number): Promise<void>;
  /** Atomic hard link; EEXIST when `newPath` exists. */
  link(existing: string, newPath: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /** O_CREAT|O_EXCL write with `mode`; EEXIST when present. */
  writeFileExclusive(path: string, data: string | Uint8Array, mode: number): Promise<void>;
  writeFile(path: string, data: string | Uint8Array, mode?: number): Promise<void>;
  appendFile(path: string, data: string | Uint8Array): Promise<void>;
  readFile(path: string): Promise<Uint8Array>;
  readTextFile(path: string): Promise<string>;
  readDir(path: string): Promise<string[]>;
  realPath(path: string): Promise<string>;
  /** Set the umask, returning the previous one. */
  umask(mask: number): number;
}

export interface Runtime {
  /** "deno" | "bun" | "node": which adapter this is. */
  readonly name: "deno" | "bun" | "node";
  /** Which JS engine hosts us (a node:net adapter can run under Deno or Bun). */
  readonly engine: "deno" | "bun" | "node";

  // sockets
  listenUnix(path: string): Promise<Listener>;
  connectUnix(path: string): Promise<Conn>;

  // processes
  spawn(command: string, args: string[], options?: SpawnOptions): ChildProcess;
  /** Send a signal to any pid (negative = process group). false when no such process. */
  kill(pid: number, signal?: Signal | 0): boolean;
  /** Register a signal handler; returns a function that removes it. */
  onSignal(signal: "SIGTERM" | "SIGINT" | "SIGHUP", handler: () => void): () => void;

  // this process
  readonly pid: number;
  /** Current parent pid (re-read on every call: changes when we are reparented). */
  ppid(): number;
  /** The executable to re-run ourselves with (compiled binary or the runtime). */
  execPath(): string;
  /** Arguments that must precede ours when re-running `execPath()` (script path, flags). */
  selfArgs(): string[];
  args(): string[];
  env(): Record<string, string>;
  getEnv(name: string): string | undefined;
  cwd(): string;
  uid(): number;
  exit(code: number): never;
  /** Full garbage collection now, where the engine allows it; false when it does not. */
  collectGarbage(): boolean;

  /** Our stdio: stdin as a reader, stdout/stderr as writers (EPIPE surfaces as RuntimeError). */
  readonly stdin: ByteReader;
  readonly stdout: ByteWriter;
  readonly stderr: ByteWriter;

  readonly fs: Fs;
}
