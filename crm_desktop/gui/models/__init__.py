"""Qt item models over the services: ordered ids plus a small cache of row records."""
