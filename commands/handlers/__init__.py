"""One module per command family: post, schedule, status, manage (cancel/edit), info."""
