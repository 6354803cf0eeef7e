"""Plan a follow-up template's activities for a contact or a deal (one undo step); the
contacts' detail panel and the pipeline board both offer it."""

from __future__ import annotations

from PySide6.QtWidgets import QInputDialog

from crm_desktop.domain.changes import ChangeSet
from crm_desktop.gui.commands import ServiceCommand
from crm_desktop.gui.host import Host


def plan_series(host: Host, contact_id: str | None = None, deal_id: str | None = None) -> None:
    context = host.context
    activities = context.activities
    templates = context.followups.templates()
    if not templates:
        host.inform("Follow-up", "Add a follow-up template in Settings › Follow-up templates.")
        return
    names = [t.name for t in templates]
    name, ok = QInputDialog.getItem(
        host.window, "Plan a follow-up series", "Template:", names, 0, False
    )
    if not ok:
        return
    template = templates[names.index(name)]
    planned: list[str] = []

    def plan() -> ChangeSet:
        if planned:
            return activities.restore(planned)
        changes: ChangeSet = context.followups.apply(
            template.id, contact_id=contact_id, deal_id=deal_id
        )
        planned.extend(changes.ids("activities"))
        return changes

    host.run_command(
        ServiceCommand(f"Plan {template.name}", host.hub, plan, lambda: activities.delete(planned))
    )
