"""The main views of the window."""
