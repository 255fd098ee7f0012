-- Replica heartbeats, for the console's list of replicas.
CREATE TABLE heartbeats (replica text PRIMARY KEY, document text NOT NULL, until bigint NOT NULL);
