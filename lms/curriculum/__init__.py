"""The curriculum's structure: curricula, modules and materi, shared by every participant of a cohort.

Below the activities (post-tests, journals, materi reading) and the progress read model (``lms.modules``), which
build on it; it imports no domain package.
"""
