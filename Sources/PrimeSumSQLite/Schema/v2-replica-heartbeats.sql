-- Replica heartbeats, for the console's list of replicas.
CREATE TABLE heartbeats (replica TEXT PRIMARY KEY NOT NULL, document TEXT NOT NULL, until INTEGER NOT NULL);
