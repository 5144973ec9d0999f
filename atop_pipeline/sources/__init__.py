"""Treaty sources: polite fetching (``http``), raw snapshots (``store``), batch fetch (``fetch``), readers."""
