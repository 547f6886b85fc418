"""ICS PLICS Benchmarking engine: ingest -> store -> metrics -> publish."""
