"""Content: items, revisions, the review workflow and the pages that show and edit them."""
