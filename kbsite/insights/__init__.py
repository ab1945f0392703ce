"""Insights for trainers: what agents could not find in search, and dashboards of the library."""
