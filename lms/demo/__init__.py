"""`lms demo`: the demo cohorts, curriculum and accounts, loaded through every domain's services."""
