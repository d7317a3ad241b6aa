"""One exception tree for the whole bot.

    LighterBotError
    ├── ConfigError          bad config file / flags / env: shown as a list of problems, exit 2
    ├── DataError            an input file (recording, ledger, profile) is unreadable or malformed
    │   └── AuthError        the exchange refused our auth token or key
    ├── InstanceConflict     another bot already trades this account/market or holds this ledger: exit 2
    ├── RiskHalt             the risk guard stopped trading
    └── VenueError
        ├── RetryableVenueError   timeouts, 5xx, 429: back off and retry
        ├── RejectedError         the venue refused a transaction (with Lighter's code)
        └── FatalVenueError       credentials / signer / protocol: cannot continue
"""

from __future__ import annotations


class LighterBotError(Exception):
    """Base of every error lighter-bot raises on purpose."""


class ConfigError(LighterBotError):
    def __init__(self, problems: list[str], source: str = "") -> None:
        self.problems = problems
        self.source = source
        head = f"invalid configuration{f' in {source}' if source else ''}"
        super().__init__(head + ":\n" + "\n".join(f"  - {p}" for p in problems))


class DataError(LighterBotError):
    """A file or payload we were asked to read is missing or malformed (message names it)."""


class AuthError(DataError):
    """The exchange refused a credential we sent (auth token, API key): the message says how to get a
    good one. A user's to fix, like DataError (exit 2), but never reported as "invalid configuration"."""


class InstanceConflict(LighterBotError):
    """A second bot on one ledger (the folder lock) or on one account and market (seen on the venue)."""


class RiskHalt(LighterBotError):
    pass


class VenueError(LighterBotError):
    pass


class RetryableVenueError(VenueError):
    pass


class RejectedError(VenueError):
    def __init__(self, code: int, message: str) -> None:
        self.code = code
        super().__init__(f"rejected by venue (code {code}): {message}")


class FatalVenueError(VenueError):
    pass
