/** Types of v8-flags.mjs: the V8 flags the Deno broker runs with. */
export declare const V8_FLAGS: readonly string[];
/** The `deno run` argument carrying V8_FLAGS. */
export declare function v8FlagsArg(): string;
