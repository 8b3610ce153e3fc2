"""Code suggestions learned from the researcher's own codings: one linear model per code over lemma n-grams.

Indicator terms written from code definitions miss how a project's people actually talk and fire on everyday
words, so a researcher who has coded a few transcripts is better served by what those codings teach. The unit is
the sentence (inside a turn's content, interviewers' turns left out), as for the term suggestions; a sentence's
labels are the codes of the primary coder's segments that cover at least half of it, or that it holds whole.
Features are the sentence's lookup lemmas (stop words and numbers dropped), single and in pairs, and which codes’
indicator terms match it (so the model learns how far to trust each code's terms), TF-IDF weighted;
each code with at least `MIN_EXAMPLES` coded sentences gets a logistic regression (scikit-learn), and a sentence
is suggested a code when the model's probability reaches `THRESHOLD`. The words that raised the score most are
shown with it. Codes with fewer examples get no model and are said to; the term suggestions remain for them.

A rejected suggestion (`coding.rejections`) is a negative example: the sentence is not that code, and weighs
`REJECTED_WEIGHT` times a sentence nobody looked at. The model is derived data: built from the codings and
rejections on demand (`train`), kept only in memory by whoever asked (`coding.learned_cache` keeps one per project
and codebook and retrains it in the background), and rebuilt when they change; it is never the only copy of anything.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.documents import turns_with_sentences
from cases.language import SUPPORTED_LANGUAGES
from cases.nlp import lemmatise, sentence_pipeline
from coding.rejections import rejections, sentence_hash
from coding.suggest import DEFAULT_SKIPPED_ROLES, suggest_codings
from store.matrix_facts import primary_coder_ids
from store.models import Code, Codebook, Coding, Document, Project, Segment, TextVersion

MIN_EXAMPLES = 3  # coded sentences a code needs before it gets a model
THRESHOLD = 0.3  # the probability from which a sentence is suggested a code (best pooled F1 on the demo)
REJECTED_WEIGHT = 3.0  # how much a rejected suggestion counts as a negative example, against an unlooked-at sentence
Progress = Callable[[float, str], None]  # share done (0..1), what is being done
TERM_FEATURE = "term:"
_WORD = re.compile(r"[^\W\d_]{2,}")


@dataclass(frozen=True)
class Unit:
    """One sentence that can carry codes."""

    document_id: int
    start: int
    end: int
    text: str
    language: str
    turn: int | None
    terms: tuple[str, ...] = ()  # codes whose indicator terms match the sentence (a feature, and the fallback)


@dataclass
class Examples:
    """A codebook's sentences with the codes the primary coder gave them (possibly none)."""

    units: list[Unit]
    labels: list[frozenset[str]]
    codes: dict[str, str]  # code key -> label, every codable and switched-on code of the codebook, in order
    rejected: list[frozenset[str]] = field(default_factory=list)  # per unit: codes someone rejected for it

    def subset(self, indices: list[int]) -> Examples:
        return Examples([self.units[i] for i in indices], [self.labels[i] for i in indices], self.codes,
                        [self.rejected[i] for i in indices] if self.rejected else [])


def examples(session: Session, project: Project, codebook_key: str, *,
             documents: Iterable[Document] | None = None, on_progress: Progress | None = None) -> Examples:
    """Every sentence of the project's documents (or of `documents`) with its codes from this codebook, and the
    codes rejected for it."""
    codes = {key: label or key for key, label in session.execute(
        select(Code.key, Code.label_en).join(Codebook).where(
            Codebook.project_id == project.id, Codebook.key == codebook_key, Code.codable, Code.enabled)
        .order_by(Code.position))}
    chosen = list(documents) if documents is not None else list(session.scalars(
        select(Document).where(Document.project_id == project.id).order_by(Document.id)))
    primary = primary_coder_ids(session, [d.id for d in chosen])
    spans: dict[int, list[tuple[int, int, str]]] = {}
    current = (TextVersion.document_id == Document.id) & (TextVersion.version == Document.current_version)
    for document_id, coder_id, start, end, key in session.execute(
            select(Segment.document_id, Segment.coder_id, Segment.start, Segment.end, Code.key)
            .join(Coding, Coding.segment_id == Segment.id).join(Code, Code.id == Coding.code_id)
            .join(Codebook, Codebook.id == Code.codebook_id).join(Document, Document.id == Segment.document_id)
            .join(TextVersion, current).where(Segment.text_version_id == TextVersion.id,
                                              Segment.document_id.in_([d.id for d in chosen]),
                                              Codebook.key == codebook_key)):
        if primary.get(document_id) == coder_id and key in codes:
            spans.setdefault(document_id, []).append((start, end, key))
    said_no: dict[tuple[int, str], set[str]] = {}
    for r in rejections(session, project, document_ids=[d.id for d in chosen], codebook=codebook_key):
        said_no.setdefault((r.document_id, r.sentence_hash), set()).add(r.code_key)
    units, labels, rejected = [], [], []
    for n, document in enumerate(chosen):
        if on_progress is not None:
            on_progress(n / max(len(chosen), 1), f"reading '{document.title}'")
        for unit in sentences(session, document, project=project, codebook=codebook_key):
            units.append(unit)
            label = frozenset(key for start, end, key in spans.get(document.id, ())
                              if _covers(start, end, unit.start, unit.end))
            labels.append(label)
            no = said_no.get((document.id, sentence_hash(unit.text))) if said_no else None
            rejected.append(frozenset(no) - label if no else frozenset())
    return Examples(units, labels, codes, rejected)


def sentences(session: Session, document: Document, skipped_roles: Collection[str] = DEFAULT_SKIPPED_ROLES, *,
              project: Project | None = None, codebook: str | None = None) -> list[Unit]:
    """The document's sentences that can carry codes: inside a turn's content, not an interviewer's; with the
    codes of `codebook` whose indicator terms match each (when a project and codebook are given)."""
    from cases.documents import current_text_version

    text = current_text_version(session, document).text
    terms: dict[int, list[str]] = {}
    if project is not None and codebook is not None:
        for hit in suggest_codings(session, project, document, skip_coded=False, skipped_roles=skipped_roles):
            if hit.codebook == codebook:
                terms.setdefault(hit.start, []).append(hit.code)
    out = []
    for turn, spans in turns_with_sentences(session, document):
        if turn.role in skipped_roles:
            continue
        language = turn.language or document.language or "nl"
        for start, end in spans:
            if start >= turn.content_start and end <= turn.end and text[start:end].strip():
                out.append(Unit(document.id, start, end, text[start:end], language, turn.ordinal,
                                tuple(terms.get(start, ()))))
    return out


def _covers(seg_start: int, seg_end: int, start: int, end: int) -> bool:
    """A segment labels a sentence when it covers at least half of the sentence, or lies wholly inside it."""
    overlap = min(seg_end, end) - max(seg_start, start)
    return overlap > 0 and (2 * overlap >= end - start or overlap == seg_end - seg_start)


def features(unit: Unit) -> list[str]:
    """The sentence's lemmas (stop words and numbers dropped) and its lemma pairs."""
    language = unit.language if unit.language in SUPPORTED_LANGUAGES else "nl"
    stop = sentence_pipeline(language).Defaults.stop_words
    words = [w for w in lemmatise(_WORD.findall(unit.text), language) if w not in stop]
    return words + [f"{a} {b}" for a, b in zip(words, words[1:])] + [f"{TERM_FEATURE}{code}" for code in unit.terms]


@dataclass
class LearnedSuggestion:
    """A code proposed for a sentence: by the learned model, with its probability and the words behind it; or, for
    a code with too few examples to learn from, by its indicator terms (the cold-start fallback, no confidence)."""

    code: str
    label: str
    unit: Unit
    confidence: float | None
    words: tuple[str, ...]
    method: str = "learned"  # or "terms"

    def as_dict(self) -> dict:
        return {"code": self.code, "start": self.unit.start, "end": self.unit.end, "text": self.unit.text,
                "confidence": None if self.confidence is None else round(self.confidence, 3),
                "words": list(self.words), "method": self.method}


@dataclass
class Model:
    """One logistic regression per code that had enough examples; what the others lacked."""

    codebook: str
    vectorizer: object
    models: dict[str, object]
    labels: dict[str, str]
    too_few: dict[str, int] = field(default_factory=dict)  # code key -> coded sentences it has
    trained_on: int = 0  # sentences

    def predict(self, units: list[Unit], threshold: float = THRESHOLD) -> list[LearnedSuggestion]:
        if not units or not self.models:
            return []
        matrix = self.vectorizer.transform([features(u) for u in units])  # type: ignore[attr-defined]
        names = self.vectorizer.get_feature_names_out()  # type: ignore[attr-defined]
        out = []
        for key, model in self.models.items():
            probabilities = model.predict_proba(matrix)[:, 1]  # type: ignore[attr-defined]
            weights = model.coef_[0]  # type: ignore[attr-defined]
            for row in (i for i, p in enumerate(probabilities) if p >= threshold):
                contribution = matrix[row].multiply(weights).tocoo()
                top = sorted(((v, names[c]) for c, v in zip(contribution.col, contribution.data) if v > 0),
                             reverse=True)[:3]
                out.append(LearnedSuggestion(key, self.labels[key], units[row], float(probabilities[row]),
                                             tuple(_shown(w, self.labels) for _, w in top)))
        out.sort(key=lambda s: (s.unit.document_id, s.unit.start, -s.confidence))
        return out


def _shown(feature: str, labels: dict[str, str]) -> str:
    """A feature as a person reads it: the words, or whose indicator terms matched."""
    if feature.startswith(TERM_FEATURE):
        key = feature[len(TERM_FEATURE):]
        return f"indicator terms of {labels.get(key, key)}"
    return feature


def train(data: Examples, codebook: str, *, min_examples: int = MIN_EXAMPLES,
          on_progress: Progress | None = None) -> Model:
    """Fit the models on these examples (a few seconds for thousands of sentences)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    counts = Counter(key for labels in data.labels for key in labels)
    vectorizer = TfidfVectorizer(analyzer=lambda tokens: tokens, min_df=1, sublinear_tf=True)
    matrix = vectorizer.fit_transform([features(u) for u in data.units]) if data.units else None
    models, too_few = {}, {}
    for key in data.codes:
        positives = counts.get(key, 0)
        if positives < min_examples or matrix is None or positives == len(data.units):
            too_few[key] = positives
            continue
        if on_progress is not None:
            on_progress(len(models) / max(len(data.codes), 1), f"learning code '{key}'")
        target = [key in labels for labels in data.labels]
        weights = [REJECTED_WEIGHT if key in no else 1.0 for no in data.rejected] if data.rejected else None
        model = LogisticRegression(C=4.0, class_weight="balanced", max_iter=1000)
        model.fit(matrix, target, sample_weight=weights)
        models[key] = model
    return Model(codebook, vectorizer, models, dict(data.codes), too_few, len(data.units))


def cold_start_note(key: str, coded: int) -> str:
    return (f"code '{key}' has {coded} coded sentence(s), too few to learn from (it needs {MIN_EXAMPLES}); "
            "its indicator terms suggest it meanwhile")


def suggest_learned(session: Session, project: Project, document: Document, codebook: str, *,
                    skip_coded: bool = True, coder_id: int | None = None, model: Model | None = None
                    ) -> tuple[list[LearnedSuggestion], list[str]]:
    """Suggestions for the document from a model trained on the project's codings of this codebook (the primary
    coder's; `model` when one was trained already), leaving out sentences already coded with the codebook unless
    `skip_coded` is False, and what `coder_id` has rejected. Codes with too few examples to learn from are
    suggested by their indicator terms instead (method "terms"), with a note saying so."""
    if model is None:
        data = examples(session, project, codebook)
        model = train(data, codebook)
    else:  # trained earlier: this document's sentences and codings as they are now
        data = examples(session, project, codebook, documents=[document])
    mine = {(r.code_key, r.sentence_hash) for r in rejections(session, project, document_ids=[document.id],
                                                               codebook=codebook, coder_id=coder_id)
            } if coder_id is not None else set()
    units = [u for u, labels in zip(data.units, data.labels)
             if u.document_id == document.id and not (skip_coded and labels)]
    found = model.predict(units)
    found += [LearnedSuggestion(key, model.labels[key], u, None, (), "terms")
              for u in units for key in u.terms if key in model.too_few]
    if mine:
        found = [s for s in found if (s.code, sentence_hash(s.unit.text)) not in mine]
    found.sort(key=lambda s: (s.unit.start, s.method != "learned", -(s.confidence or 0)))
    return found, [cold_start_note(key, n) for key, n in model.too_few.items()]
