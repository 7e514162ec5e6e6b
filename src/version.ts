/** Package version, shown by `--version` and exchanged in hellos. */
export const VERSION = "0.1.0";

/**
 * Wire protocol version of the daemon ⇄ proxy/control hello. Bumped only when the
 * socket protocol changes; independent of {@link VERSION}.
 */
export const PROTOCOL = 1;

/**
 * Build id: two daemons with different build ids never share clients. Tests override it
 * with `SHOAL_BUILD_OVERRIDE` to simulate an upgrade.
 */
export const BUILD = `shoal-${VERSION}`;

/**
 * Whether build id `a` is newer than `b`: natural order, so "shoal-0.10.0" is newer
 * than "shoal-0.9.1" (tests name their override builds "build-1", "build-2", …).
 */
export function isNewerBuild(a: string, b: string): boolean {
  return a.localeCompare(b, "en", { numeric: true }) > 0;
}
