"""Automation in the window: the rules editor and the rules running by themselves."""
