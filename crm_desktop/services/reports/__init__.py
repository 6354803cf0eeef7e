"""Reports: the monthly report and the business reports (`service.ReportService`); the
figures are worked out in the private modules beside it (`_book`: deals as they stood at
any moment, `_parts`: the scope and shared figures, `_monthly`, `_business`)."""

from crm_desktop.services.reports.service import ReportService

__all__ = ["ReportService"]
