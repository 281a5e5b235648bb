"""Cohort-admin pages: cohorts and their timeline, windows, participants, extensions, rosters, progress, outbox."""
