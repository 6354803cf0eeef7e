"""Deals: the pipeline board and list, the deal page, stage moves."""
