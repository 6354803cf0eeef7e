"""Imports of contacts and companies from CSV, Excel and vCard files
(`service.ImportService`), planned row by row against the database (`plan`)."""

from crm_desktop.services.imports.service import ImportCancelled, ImportService

__all__ = ["ImportCancelled", "ImportService"]
