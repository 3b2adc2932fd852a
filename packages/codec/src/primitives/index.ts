// Barrel for src/primitives (owned by the work on that area). Nothing exported yet.
export {};
