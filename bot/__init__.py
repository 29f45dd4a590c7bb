"""socialbot core: configuration, the Social API client, storage, approvals, notifier, sandbox."""

__version__ = "0.1.0"
