"""The Social API: typed models, typed errors and the async client."""
