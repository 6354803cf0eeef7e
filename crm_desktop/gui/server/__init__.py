"""The window on a shared PostgreSQL server."""
