"""Campaigns in the window: the list, members with reasons, a preview, sending."""
