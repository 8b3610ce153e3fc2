"""The one exception the app and CLI show as a plain, one-line refusal."""


class Refused(ValueError):
    """Input or request refused; the message names what was wrong and nothing was written."""
