"""The rules every learning activity shares (materi reading, post-tests, journals): which modules a participant
may open, and the participant's progress.

Progress is a read model above the activities (``lms.modules.progress`` reads their rows), so the activities, below
it, reach it through the function that the app factory installs here (``install_progress``), not by importing it.
"""
