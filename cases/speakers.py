"""Find speaker labels in a transcript and cut it into speaker turns.

Detection proposes; the user decides. ``detect_labels`` lists every candidate
with a suggested role and flags the ones that are probably not speakers
(headings such as "Conclusie:", one-off sentence fragments), and
``build_turns`` then only uses the labels the user accepted. Both run on the
same per-paragraph analysis, so what is offered is exactly what is cut.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass

from cases.readers import Paragraph, SourceText
from cases.sources import RecordColumns, line_spans, trimmed

ROLES = ("interviewer", "co-interviewer", "respondent", "facilitator", "participant",
         "observer", "unknown")


@dataclass
class LabelCandidate:
    """One label found in the text, how often, and what it probably is."""

    label: str
    count: int
    suggested_role: str
    likely_false: bool
    reason: str


@dataclass(frozen=True, slots=True)
class DetectedTurn:
    """A speaker turn: ``text[start:end]``; the spoken words start at ``content_start``."""

    start: int
    end: int
    content_start: int
    label: str | None
    start_ms: int | None = None
    end_ms: int | None = None


class TurnList(RecordColumns[DetectedTurn]):
    """Turns kept as columns (see RecordColumns): a subtitle file can have a million."""

    __slots__ = ()
    record = DetectedTurn


# ---------------------------------------------------------------- patterns

_CLOCK = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"
# [00:12:31]  (12:31)  #00:12:31-5#  00:12:31
_TS = rf"(?:\[{_CLOCK}\]|\({_CLOCK}\)|#{_CLOCK}(?:-\d{{1,2}})?#|(?<![\d:]){_CLOCK}(?![\d:]))"
_WORD0 = r"[^\W\d_][\w.'’/\-]*"
_WORDN = r"(?!\d{1,2}[:.]\d)[\w.'’/\-]+"
_LABEL = rf"{_WORD0}(?:[ \t]+{_WORDN}){{0,6}}"
_EMPH = r"(?:\*\*|__)?"
# "R: text", "[00:12:31] R: text", "R [00:12:31]: text", "**I:** text"
_INLINE = re.compile(
    rf"(?:(?P<ts1>{_TS})[ \t]*)?{_EMPH}(?P<label>{_LABEL}){_EMPH}[ \t]*"
    rf"(?:(?P<ts2>{_TS})[ \t]*)?{_EMPH}[:：]{_EMPH}(?![/\\\d])")
# "Anna de Vries   0:01" or "INTERVIEWER" alone on a line
_OWN_LINE = re.compile(
    rf"(?:(?P<ts1>{_TS})[ \t]*)?{_EMPH}(?P<label>{_LABEL}){_EMPH}"
    rf"(?:[ \t]+(?P<ts2>{_TS}))?$")
# After "R:" a bare "12:30" is probably speech ("12:30 was de afspraak"), so only
# bracketed stamps and full hh:mm:ss clocks are skipped there.
_LEADING_TS = re.compile(
    rf"[ \t]*(?P<ts>\[{_CLOCK}\]|\({_CLOCK}\)|#{_CLOCK}(?:-\d{{1,2}})?#"
    rf"|\d{{1,2}}:\d{{2}}:\d{{2}}(?:[.,]\d{{1,3}})?(?![\d:]))[ \t]*")
_TS_PARTS = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?(?:[.,](\d{1,3}))?(?:-(\d{1,2}))?")

_SHORT_CODE = re.compile(r"^(?:[A-Z]\d{0,2}|(?:Int|Resp|Mod|IP|TN|IV)\d{0,2})$")
_FALSE_WORDS = {w.casefold() for w in (
    "Conclusie", "Conclusion", "Fazit", "Samenvatting", "Summary", "Zusammenfassung",
    "Noot", "Note", "Let op", "Opmerking", "Anmerkung", "Hinweis", "Datum", "Date",
    "Locatie", "Ort", "Plaats", "Tijd", "Time", "Thema", "Topic", "Vraag", "Frage",
    "Question", "Doel", "Aanwezig", "Anwesend", "Bijlage", "Bron", "Source", "http",
    "https", "NB", "PS", "Duur", "Dauer", "Duration", "Onderwerp", "Betreft",
    "Agenda", "Inleiding", "Einleitung", "Introduction", "Tel", "Email", "E-mail",
    "Website", "Url", "Interviewdatum", "Opname", "Aufnahme", "Recording",
)}
_MAX_WORDS = 5
_MAX_CHARS = 40
# Short answers that sit on their own line are not names.
_INTERJECTIONS = {"ja", "nee", "oké", "ok", "okay", "yes", "no", "nein", "jawel", "klopt",
                  "precies", "inderdaad", "genau", "richtig", "right", "sure", "hm", "hmm",
                  "mhm", "uhm", "eh", "ehm", "nou", "tja", "ach", "doch", "stimmt",
                  "prima", "goed", "gut", "fine", "dank", "danke", "thanks"}
_PARTICLES = {"van", "de", "der", "den", "het", "ten", "ter", "te", "von", "vom", "zu",
              "zur", "la", "le", "du", "da", "di", "del", "dos", "'t", "’t", "in", "op"}

_ROLE_WORDS = {
    "interviewer": {"i", "int", "interviewer", "interviewerin", "interviewster",
                    "onderzoeker", "onderzoekster", "forscher", "forscherin",
                    "forscher/in", "gespreksleider", "researcher", "iv"},
    "co-interviewer": {"co-interviewer", "co-onderzoeker", "co-interviewster"},
    "facilitator": {"moderator", "moderatorin", "facilitator", "mod"},
    "respondent": {"r", "resp", "respondent", "respondente", "befragte", "befragter",
                   "befragte/r", "geïnterviewde", "geinterviewde", "interviewee",
                   "ip", "interviewpartner", "interviewpartnerin"},
    "participant": {"participant", "deelnemer", "teilnehmer", "teilnehmerin",
                    "teilnehmer/in", "tn"},
    "observer": {"observer", "observator", "waarnemer", "beobachter", "beobachterin",
                 "notulist", "protocol"},
}


@dataclass(frozen=True)
class _Hit:
    label: str
    own_line: bool        # the label stands alone; content is the next paragraph
    bare: bool            # own line without colon or time: needs to recur
    content_start: int    # absolute; == paragraph end for own-line labels
    start_ms: int | None


def _clean_label(label: str) -> str:
    return " ".join(label.split())


def _ts_ms(stamp: str | None) -> int | None:
    if not stamp:
        return None
    m = _TS_PARTS.search(stamp)
    if not m:
        return None
    a, b, c, frac, tenths = m.groups()
    h, mi, s = (int(a), int(b), int(c)) if c is not None else (0, int(a), int(b))
    ms = int(frac.ljust(3, "0")) if frac else int(tenths) * 100 if tenths else 0
    return ((h * 60 + mi) * 60 + s) * 1000 + ms


def _skip_leading_stamps(text: str, pos: int, end: int) -> tuple[int, int | None]:
    """Skip whitespace and any timestamps after the separator."""
    first_ms = None
    while True:
        while pos < end and text[pos].isspace():
            pos += 1
        m = _LEADING_TS.match(text, pos, end)
        if not m or m.end() == pos:
            return pos, first_ms
        if first_ms is None:
            first_ms = _ts_ms(m.group("ts"))
        pos = m.end()


def _paragraph_spans(source: SourceText) -> Iterator[Paragraph]:
    """The source's paragraphs (in text order) trimmed of whitespace, or its lines if it has none."""
    text = source.text
    paragraphs = source.paragraphs or line_spans(text)
    previous_end = 0
    for p in paragraphs:
        start, end = trimmed(text, max(p.start, previous_end), min(p.end, len(text)))
        if start < end:
            if (start, end) != (p.start, p.end):
                cs = p.content_start
                if cs is not None:
                    cs = min(max(cs, start), end)
                p = Paragraph(start, end, p.label, cs, p.start_ms, p.end_ms)
            previous_end = end
            yield p


def _analyse(text: str, p: Paragraph) -> _Hit | None:
    """The label a paragraph starts with, if any."""
    if p.label:
        cs = p.content_start if p.content_start is not None else p.start
        content, ms = _skip_leading_stamps(text, cs, p.end)
        return _Hit(_clean_label(p.label), content >= p.end, False, content,
                    ms if ms is not None else p.start_ms)
    m = _INLINE.match(text, p.start, p.end)
    if m:
        content, ms = _skip_leading_stamps(text, m.end(), p.end)
        stamp = _ts_ms(m.group("ts1") or m.group("ts2"))
        return _Hit(_clean_label(m.group("label")), content >= p.end, False, content,
                    stamp if stamp is not None else ms)
    m = _OWN_LINE.match(text, p.start, p.end)
    if m:
        label = _clean_label(m.group("label"))
        stamp = m.group("ts1") or m.group("ts2")
        if stamp is None and (label.endswith(tuple(".?!…,;"))
                              or label.casefold() in _INTERJECTIONS):
            return None
        if len(label) <= _MAX_CHARS and len(label.split()) <= _MAX_WORDS \
                and _name_like(label):
            return _Hit(label, True, stamp is None, p.end, _ts_ms(stamp))
    return None


def _name_like(label: str) -> bool:
    """Capitalised words (particles allowed), as speaker names and codes are."""
    words = label.split()
    if not words[0][0].isupper():
        return False
    return all(w[0].isupper() or w[0].isdigit() or w.casefold() in _PARTICLES
               for w in words)


def _hits(source: SourceText) -> Iterator[tuple[Paragraph, _Hit | None]]:
    """Each paragraph with the label it starts with (or None)."""
    pending: Paragraph | None = None
    for p in _paragraph_spans(source):  # one paragraph behind: the last one is treated apart
        if pending is not None:
            yield pending, _analyse(source.text, pending)
        pending = p
    if pending is not None:
        hit = _analyse(source.text, pending)
        yield pending, None if hit is not None and hit.bare else hit  # a name at the very end introduces nothing


# ---------------------------------------------------------------- detection

def _false_reason(label: str, count: int, named_by_file: bool) -> str:
    words = label.split()
    folded = label.casefold()
    if folded in _FALSE_WORDS or (words[0].casefold() in _FALSE_WORDS and (
            len(words) == 1 or all(w.isdigit() or len(w) <= 2 for w in words[1:]))):
        return f"looks like a heading, not a speaker ('{label}')"
    if folded.startswith(("http", "www.")):
        return f"looks like a web address, not a speaker ('{label}')"
    if len(words) > _MAX_WORDS or len(label) > _MAX_CHARS:
        return (f"too long for a speaker label ({len(words)} words, "
                f"{len(label)} characters)")
    if count == 1 and not named_by_file and not _SHORT_CODE.match(label):
        return "appears only once"
    return ""


def _role(label: str, labels: set[str]) -> str:
    folded = label.casefold()
    base = re.sub(r"[\s_-]*\d+$", "", folded) or folded
    for role, words in _ROLE_WORDS.items():
        if folded in words or base in words:
            return role
    if re.fullmatch(r"b\d*", folded):
        has_i = any(re.fullmatch(r"(i|int|interviewer)\d*", x.casefold()) for x in labels)
        return "respondent" if has_i else "unknown"
    if re.fullmatch(r"[a-z]\d*", folded) or any(ch.isdigit() for ch in label):
        return "unknown"
    if _name_like(label) and label not in {"A", "B"}:
        return "respondent"
    return "unknown"


def detect_labels(source: SourceText) -> list[LabelCandidate]:
    """Candidate speaker labels in order of first appearance (see module doc)."""
    counts: dict[str, int] = {}
    bare_only: dict[str, bool] = {}
    subtitle_voice: dict[str, bool] = {}
    subtitles = source.format in ("vtt", "srt")
    for p, hit in _hits(source):
        if hit is None:
            continue
        counts[hit.label] = counts.get(hit.label, 0) + 1
        bare_only[hit.label] = bare_only.get(hit.label, True) and hit.bare
        subtitle_voice[hit.label] = (subtitle_voice.get(hit.label, True) and subtitles
                                     and p.label is not None)
    # A bare name line ("Anna de Vries") only counts when it recurs.
    labels = [lb for lb in counts if not (bare_only[lb] and counts[lb] < 2)]
    label_set = set(labels)
    out = []
    for label in labels:
        # A VTT/SRT voice is named by the file: one cue is still a real speaker.
        reason = _false_reason(label, counts[label], subtitle_voice[label])
        role = "unknown" if reason else _role(label, label_set)
        out.append(LabelCandidate(label, counts[label], role, bool(reason), reason))
    return out


# ---------------------------------------------------------------- turns

@dataclass
class _OpenTurn:
    start: int
    end: int
    content_start: int
    label: str | None
    start_ms: int | None
    end_ms: int | None
    awaiting_content: bool = False  # own-line label: content is the next paragraph

    def close_into(self, turns: TurnList) -> None:
        turns.add(self.start, self.end, self.content_start, self.label, self.start_ms, self.end_ms)


def build_turns(source: SourceText, accepted_labels: Collection[str]) -> TurnList:
    """Cut the text into turns at paragraphs that start with an accepted label.

    Other paragraphs extend the current turn; text before the first label is
    a turn with label None.
    """
    accepted = {_clean_label(a) for a in accepted_labels}
    turns = TurnList()
    cur: _OpenTurn | None = None
    for p, hit in _hits(source):
        if hit is not None and hit.label in accepted:
            if cur is not None:
                cur.close_into(turns)
            start_ms = hit.start_ms if hit.start_ms is not None else p.start_ms
            cur = _OpenTurn(p.start, p.end, hit.content_start, hit.label, start_ms,
                            p.end_ms, hit.own_line)
        elif cur is None:
            cur = _OpenTurn(p.start, p.end, p.start, None, p.start_ms, p.end_ms)
        else:
            if cur.awaiting_content:
                cur.content_start, cur.awaiting_content = p.start, False
            cur.end = p.end
            if p.end_ms is not None:
                cur.end_ms = p.end_ms
            if cur.start_ms is None:
                cur.start_ms = p.start_ms
    if cur is not None:
        cur.close_into(turns)
    return turns


# ---------------------------------------------------------------- role maps

def parse_role_map(spec: str) -> dict[str, str]:
    """Parse "I=interviewer,R=respondent" into a label -> role dict."""
    out: dict[str, str] = {}
    for part in spec.split(","):
        if not part.strip():
            continue
        label, sep, role = part.rpartition("=")
        label, role = _clean_label(label), role.strip().casefold()
        if not sep or not label:
            raise ValueError(f"bad role mapping {part.strip()!r}: expected LABEL=ROLE, "
                             f"roles are {', '.join(ROLES)}")
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r} in {part.strip()!r}; roles are "
                             f"{', '.join(ROLES)}")
        if out.get(label, role) != role:
            raise ValueError(f"label {label!r} is mapped to both {out[label]!r} and "
                             f"{role!r}")
        out[label] = role
    return out
