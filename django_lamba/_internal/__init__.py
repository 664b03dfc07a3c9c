"""Private machinery; nothing here is public API."""
