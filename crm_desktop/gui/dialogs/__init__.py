"""Editors and wizards; forms come from ui/*.ui."""
