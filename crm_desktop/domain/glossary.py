"""One name per figure, as the reports print it, and what it means: the glossary that
ends the monthly report."""

from __future__ import annotations

from crm_desktop.domain.reports import BEST_CASE_PROBABILITY, SLIP_PUSHES

REPORT_GLOSSARY = {
    "New contacts": "Contacts created in the period and not deleted by its end.",
    "New deals": "Deals created in the period and not deleted by its end; New deal value: "
    "their value at the period's end.",
    "Deals won / Won value": "Deals that moved into a won stage in the period and were still "
    "won at its end; their value then, converted at the rate of the closing month.",
    "Average won deal": "Won value divided by deals won.",
    "Deals lost / Lost value": "The same for lost stages.",
    "Win rate": "Deals won divided by deals won plus deals lost, by count.",
    "Orders": "Orders placed in the period that belong to no deal (an order of a deal is that "
    "deal's sale and is counted once, as the deal).",
    "Sales": "Won value plus Orders.",
    "Open pipeline": "The value of the deals open at an instant (the period's end unless the "
    "title says otherwise), as they stood then.",
    "Weighted pipeline": "Each open deal's value times its probability then (its own, else its "
    "stage's), summed; rounded half up per deal.",
    "Forecast": "The weighted value of the open deals expected to close in a month, as they "
    "stood at the instant the title names.",
    "Best case": "Won so far in the month, plus open deals of at least "
    f"{BEST_CASE_PROBABILITY} % in full, plus the rest weighted.",
    "Forecast accuracy": "1 − |forecast − actual| ÷ actual, where the forecast is the month's "
    "as it stood on its first day (rebuilt from the history) and actual its Won value.",
    "Bias": "(forecast − actual) ÷ actual: above 0, the forecast was too optimistic.",
    "Pipeline movement": "Open at the start + added − won − lost ± other = open at the end; "
    "other: value changes, deals reopened, deleted or moved to another pipeline.",
    "Target": "The won value the owner set for a salesperson or the business (Settings).",
    "Overdue now": "Activities not done whose time has passed, as of the day the report was "
    "made, however long ago they were due.",
    "Activities done": "Activities marked done in the period.",
    "Rotting": "An open deal that stayed in its stage longer than the stage allows.",
    "Slipping": f"An open deal whose expected close was pushed later {SLIP_PUSHES} times or more.",
    "Sales cycle": "Days from a won deal's creation to its close.",
    "Lifetime value": "A customer's sales from the first up to the period's end.",
    "Amounts in other currencies": "Converted at the owner's rate for their month (Settings › "
    "Exchange rates); with no rate they are listed apart, never added to the others.",
}
