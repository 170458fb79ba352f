"""Documents: the annual work summary (.docx) filled from the indicator rollups."""
