"""Records that travel: xAPI statements to a Learning Record Store, the signed completion credential (Open Badges
3.0), and calendar feeds. Sits above the learning layers; the services below announce events (``lms.core.events``)
that this package subscribes to in the app factory (``install``)."""
