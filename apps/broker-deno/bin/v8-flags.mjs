/**
 * The V8 flags the Deno broker runs with (bin/start.mjs passes them as `--v8-flags=`).
 * Plain JavaScript so the launcher needs no build; tests and benches import it too.
 *
 * `--initial-old-space-size=128`: V8 skips full (mark-compact) collections while the old
 * generation is under 128 MiB. Deno's V8 counts ArrayBuffer memory (the broker's index
 * views, socket reads, request frames) in its global heap limit and sets that limit close
 * above what is live, so a broker taking 100 B records at 800k/s ran an incremental
 * mark-compact every 100–700 ms, with main-thread marking steps of up to 29 ms: the Deno
 * broker's produce p99 tail (issue 12). With the floor, young buffers go in scavenges
 * (≈ 0.5 ms, "external memory pressure") as on Node, and full collections wait until the
 * heap holds 128 MiB. Cost: up to ≈ 128 MiB more old generation before the first full GC.
 */
export const V8_FLAGS = ['--initial-old-space-size=128'];

/** The `deno run` argument carrying V8_FLAGS. */
export function v8FlagsArg() {
  return `--v8-flags=${V8_FLAGS.join(',')}`;
}
