"""The trainers' workflow: review before publish, my drafts, content health and bulk edits."""
