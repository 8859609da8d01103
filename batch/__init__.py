"""Usage mediation and batch rating with DuckDB: ingest, normalise, rate a whole period."""
