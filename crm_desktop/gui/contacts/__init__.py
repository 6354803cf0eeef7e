"""Contacts and companies: the two lists, their detail panels, editors and quick actions."""
