"""Team sharing in the window: the status-bar state, background rounds, the dialog."""
