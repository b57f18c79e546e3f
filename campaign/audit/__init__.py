"""The audit log: who did what to whose data, appended and never changed."""
