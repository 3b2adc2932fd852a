// Barrel for src/kafka (owned by the work on that area). Nothing exported yet.
export {};
