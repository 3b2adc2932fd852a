/**
 * What loading a native accelerator gives: the function, or null and why not (the host
 * logs the reason and keeps the codec's pure-JS implementation).
 */
export type Loaded<F> = { readonly fn: F; readonly reason?: undefined } | { readonly fn: null; readonly reason: string };
