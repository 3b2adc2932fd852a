// Barrel for src/compression (owned by the work on that area). Nothing exported yet.
export {};
