"""Administration: users, roles, API tokens and the audit log."""
