"""Use cases. Each service takes a unit-of-work factory and returns records and ChangeSets."""
