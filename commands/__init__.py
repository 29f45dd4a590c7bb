"""The platform-neutral command layer: invocations and reactions in, neutral replies out."""
