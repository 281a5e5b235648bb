"""The progress read model: one summary row per enrollment, kept with every event that changes it."""
