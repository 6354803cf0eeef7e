"""Duplicates: the scan and the warning while typing (`service.DuplicateService`) and the
merge of two records with its undo (`merge`)."""

from crm_desktop.services.duplicates.service import NAME_THRESHOLD, DuplicateService

__all__ = ["NAME_THRESHOLD", "DuplicateService"]
