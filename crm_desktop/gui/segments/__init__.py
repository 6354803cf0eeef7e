"""Saved segments in the window: the sidebar's list, the builder, bulk edits of a segment."""
