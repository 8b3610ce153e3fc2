"""The synthetic transcript generator of the import benchmark, also used by the coding benchmark's setup.

Seeded, Dutch-like pseudo-words (some German ones with ä/ö/ü/ß), Zipf-distributed, in "I: " / "R: " turns;
kept apart from bench/import_bench.py so that the generator can be read (and imported) on its own.
"""

from __future__ import annotations

import hashlib
import random
from itertools import accumulate

# ---------------------------------------------------------------------------------------------
# Synthetic transcripts
# ---------------------------------------------------------------------------------------------

_NL_ONSETS = ["", "b", "d", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "z", "h", "j", "f",
              "st", "sch", "schr", "kr", "br", "gr", "tr", "pl", "bl", "sl", "sp", "str", "dr", "kl",
              "sn", "zw", "fl", "ch", "kn", "wr", "gl", "spr"]
_NL_NUCLEI = ["a", "e", "i", "o", "u", "aa", "ee", "oo", "uu", "ie", "oe", "ij", "ui", "ou", "ei",
              "eu", "au", "e", "a", "o", "i", "e"]
_NL_CODAS = ["", "", "", "n", "t", "k", "s", "l", "r", "m", "ng", "cht", "rd", "ts", "nd", "lt",
             "rk", "ft", "st", "p", "ns", "rt"]
_NL_SUFFIXES = ["heid", "lijk", "tje", "ing", "en", "er", "isch", "baar", "schap", "ig"]

_DE_ONSETS = ["", "b", "d", "g", "k", "l", "m", "n", "p", "r", "s", "t", "w", "z", "h", "f",
              "sch", "st", "sp", "kr", "br", "gr", "tr", "pf", "fr", "schl", "zw", "kn"]
_DE_NUCLEI_SPECIAL = ["ä", "ö", "ü", "äu", "ä", "ö", "ü"]
_DE_NUCLEI = ["a", "e", "i", "o", "u", "ie", "ei", "au", "eu"] + _DE_NUCLEI_SPECIAL
_DE_CODAS = ["", "", "n", "t", "ß", "tz", "ck", "sch", "ng", "r", "l", "ch", "rt", "nd", "ft", "ßt"]
_DE_SPECIAL = set("äöüß")


def _nl_word(rng: random.Random) -> str:
    n = rng.choices((1, 2, 3, 4), weights=(30, 40, 22, 8))[0]
    word = "".join(rng.choice(_NL_ONSETS) + rng.choice(_NL_NUCLEI) + rng.choice(_NL_CODAS)
                   for _ in range(n))
    if n >= 2 and rng.random() < 0.15:
        word += rng.choice(_NL_SUFFIXES)
    return word


def _de_word(rng: random.Random) -> str:
    while True:
        n = rng.choices((1, 2, 3), weights=(30, 45, 25))[0]
        word = "".join(rng.choice(_DE_ONSETS) + rng.choice(_DE_NUCLEI) + rng.choice(_DE_CODAS)
                       for _ in range(n))
        if _DE_SPECIAL.intersection(word) and not word.startswith("ß"):
            return word.capitalize() if rng.random() < 0.4 else word  # some German nouns


def build_vocabulary(rng: random.Random, size: int, german_share: float = 0.12) -> list[str]:
    """`size` distinct pseudo-words, most frequent (rank 1) first: short words rank high."""
    seen: dict[str, int] = {}
    while len(seen) < size:
        word = _de_word(rng) if rng.random() < german_share else _nl_word(rng)
        if len(word) >= 2 and word.lower() not in ("i", "r"):
            seen.setdefault(word, len(seen))
    # Zipf's law of abbreviation: frequent words are short. Stable, deterministic order.
    return sorted(seen, key=lambda w: (len(w), seen[w]))


def _sentence(rng: random.Random, vocab: list[str], cum: list[float], n: int, end: str) -> str:
    words = rng.choices(vocab, cum_weights=cum, k=n)
    words[0] = words[0][:1].upper() + words[0][1:]
    if n >= 8 and rng.random() < 0.25:
        k = rng.randrange(2, n - 2)
        words[k] += ","
    return " ".join(words) + end


def generate_corpus(words: int, files: int, seed: int, vocab_size: int = 25_000,
                    zipf_s: float = 1.07) -> dict:
    """Seeded transcripts as [(filename, utf-8 bytes)], with their word counts (labels excluded)."""
    rng = random.Random(seed)
    vocab = build_vocabulary(rng, vocab_size)
    cum = list(accumulate(1.0 / (r ** zipf_s) for r in range(1, len(vocab) + 1)))
    mean = words / files
    raw_targets = [rng.uniform(0.5, 1.5) for _ in range(files)]
    scale = words / sum(t * mean for t in raw_targets)
    targets = [max(50, round(t * mean * scale)) for t in raw_targets]
    out: list[tuple[str, bytes]] = []
    per_file: list[int] = []
    sentences = turns = 0
    used: set[str] = set()
    for index, target in enumerate(targets, start=1):
        lines: list[str] = []
        count = 0
        interviewer = True
        while count < target:
            if interviewer:  # short turns: one or two questions
                parts = []
                for _ in range(rng.choices((1, 2), weights=(75, 25))[0]):
                    n = rng.randint(5, 12)
                    end = rng.choices(("?", ".", "!"), weights=(80, 17, 3))[0]
                    parts.append(_sentence(rng, vocab, cum, n, end))
                    count += n
                lines.append("I: " + " ".join(parts))
            else:  # long answers
                parts = []
                for _ in range(rng.randint(2, 9)):
                    n = rng.randint(5, 25)
                    end = rng.choices((".", "?", "!"), weights=(86, 7, 7))[0]
                    parts.append(_sentence(rng, vocab, cum, n, end))
                    count += n
                lines.append("R: " + " ".join(parts))
            sentences += len(parts)
            turns += 1
            interviewer = not interviewer
        text = "\n".join(lines) + "\n"
        out.append((f"interview_{index:03d}.txt", text.encode("utf-8")))
        per_file.append(count)
    for _, data in out:
        used.update(w.strip(",.?!").lower() for w in data.decode("utf-8").split() if w not in ("I:", "R:"))
    digest = hashlib.sha256()
    for name, data in out:
        digest.update(name.encode() + b"\0" + data)
    return {
        "files": out, "file_count": len(out), "words_per_file": per_file, "words": sum(per_file),
        "vocabulary": len(vocab),
        "german_words": sum(1 for w in vocab if _DE_SPECIAL.intersection(w.lower())),
        "distinct_words_used": len(used), "sentences": sentences, "turns": turns,
        "bytes": sum(len(d) for _, d in out), "sha256": digest.hexdigest(), "zipf_s": zipf_s,
    }
