"""File formats as pure functions over domain records and streams (csv, vCard, ics, xlsx,
pdf). Imports the domain only: no Qt, no Session."""
