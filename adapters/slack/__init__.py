"""Slack adapter: slack-bolt AsyncApp ↔ commands.dispatch (see app.py), served by runner.py."""
