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
