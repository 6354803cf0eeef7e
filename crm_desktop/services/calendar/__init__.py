"""The calendar: activities as occurrences, series edits, reminders
(`service.CalendarService`), and iCalendar files in and out (`files`)."""

from crm_desktop.services.calendar.service import CalendarService

__all__ = ["CalendarService"]
