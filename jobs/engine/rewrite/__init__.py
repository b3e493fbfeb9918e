"""Rewriting query blocks to read derived tables, and rendering the rewritten text."""
