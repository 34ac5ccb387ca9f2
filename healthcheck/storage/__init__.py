"""Storage: the SQLite state database, safe file writes, secrets and redaction."""
