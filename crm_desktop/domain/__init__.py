"""Plain-Python records and rules shared by every layer (standard library only)."""
