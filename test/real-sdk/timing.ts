/** The deadlines the real-SDK tests share, each said once. A file with other needs keeps its own. */

// A run is over in a few seconds; a loaded two-core machine gets ample room before the program is killed.
export const DEADLINE_MS = 30_000;
// A refused run: Python retries a refused TLS handshake (UNAVAILABLE) with back-off for up to a minute; in 8 s both
// SDKs have made several attempts (at about 0, 1, 3 and 7 s), which is all a counter-test needs to see.
export const REFUSED_DEADLINE_MS = 8000;
// Python's final flush gives up after this (its default is 30 s): a refused run need not wait so long.
export const FLUSH_MS = 3000;
// After the program exits, what it sent is in the Collector's file within a flush interval (100 ms); allow many.
export const ARRIVAL_MS = 10_000;
// Where nothing may arrive, after the program's end: the Collector's file flush, ten times over.
export const SETTLE_MS = 1000;
// A test: the run, its arrival and settling, with room to spare.
export const TEST_MS = DEADLINE_MS + ARRIVAL_MS + SETTLE_MS + 5000;
