"""Technical services that are neither business rules (actions/) nor screens (views/): document rendering (PDF)."""
