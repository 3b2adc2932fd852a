// Barrel for src/crc32c (owned by the work on that area). Nothing exported yet.
export {};
