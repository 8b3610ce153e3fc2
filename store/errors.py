"""The one exception the app and CLI show as a plain, one-line refusal."""


class Refused(ValueError):
    """Input or request refused; the message names what was wrong and nothing was written."""


class Busy(Refused):
    """The database was busy with someone else's change past the wait: nothing was written, and trying the same
    change again a moment later is the right answer (the app does so, saying it is retrying)."""
