// Barrel for src/rpc (owned by the work on that area). Nothing exported yet.
export {};
