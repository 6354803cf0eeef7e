"""Repositories: the queries of each aggregate. They hand ORM objects to services only."""

from crm_desktop.persistence.repositories.activities import ActivityRepository
from crm_desktop.persistence.repositories.base import (
    Repository,
    SettingRepository,
    TagRepository,
    UserRepository,
)
from crm_desktop.persistence.repositories.companies import CompanyRepository
from crm_desktop.persistence.repositories.contacts import ContactRepository
from crm_desktop.persistence.repositories.deals import DealRepository
from crm_desktop.persistence.repositories.duplicates import DuplicateRepository
from crm_desktop.persistence.repositories.timeline import TimelineRepository

__all__ = [
    "ActivityRepository",
    "CompanyRepository",
    "ContactRepository",
    "DealRepository",
    "DuplicateRepository",
    "Repository",
    "SettingRepository",
    "TagRepository",
    "TimelineRepository",
    "UserRepository",
]
