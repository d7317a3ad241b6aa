"""The exchange simulator: matching with queue position, Lighter rules and delays, scenarios, replay."""
