"""Game profiles: loading, validation, identification of passes and targets, auto-detection."""
