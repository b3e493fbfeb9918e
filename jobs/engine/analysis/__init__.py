"""Which query blocks a derived table answers exactly: single-table aggregates and join blocks."""
