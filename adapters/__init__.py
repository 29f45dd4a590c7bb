"""Chat platform adapters: translate in, render out."""
