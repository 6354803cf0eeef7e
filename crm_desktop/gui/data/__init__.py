"""Your data in and out: import, export, calendar files, backups and restore."""
