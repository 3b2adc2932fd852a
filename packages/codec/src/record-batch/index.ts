// Barrel for src/record-batch (owned by the work on that area). Nothing exported yet.
export {};
