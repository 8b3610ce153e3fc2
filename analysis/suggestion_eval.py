"""How good are suggestions? Held-out evaluation of the learned model beside two baselines, in the same run.

Each case (or document) in turn is held out: the model is trained on the others' sentences and suggests codes for
the held-out sentences, which are compared with the primary coder's codes. Two baselines are scored on the same
sentences: always suggesting the code most frequent in the training sentences, and the indicator-term
suggestions (`coding.suggest`). Precision, recall and F1 per code and pooled over all codes (micro: every
sentence-code decision counts once).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from coding.learned import THRESHOLD, Examples, examples, train
from store.errors import Refused
from store.models import Case, CaseDocument, Document, Project

METHODS = ("learned", "most frequent", "terms")


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def f1(self) -> float | None:
        return 2 * self.tp / (2 * self.tp + self.fp + self.fn) if self.tp + self.fp + self.fn else None

    def as_dict(self) -> dict:
        r = lambda v: None if v is None else round(v, 3)  # noqa: E731
        return {"tp": self.tp, "fp": self.fp, "fn": self.fn, "precision": r(self.precision),
                "recall": r(self.recall), "f1": r(self.f1)}


@dataclass
class Evaluation:
    codebook: str
    held_out: str  # "case" or "document"
    folds: int
    sentences: int
    coded_sentences: int
    pooled: dict[str, Score] = field(default_factory=dict)  # method -> score
    per_code: dict[str, dict[str, Score]] = field(default_factory=dict)  # code -> method -> score

    def as_dict(self) -> dict:
        return {"codebook": self.codebook, "held_out": self.held_out, "folds": self.folds,
                "sentences": self.sentences, "coded_sentences": self.coded_sentences,
                "pooled": {m: s.as_dict() for m, s in self.pooled.items()},
                "per_code": {c: {m: s.as_dict() for m, s in scores.items()} for c, scores in self.per_code.items()}}


def evaluate(session: Session, project: Project, codebook: str, *, held_out: str = "case",
             threshold: float = THRESHOLD) -> Evaluation:
    """Leave-one-case-out (or -document-out) scores of the learned model and both baselines."""
    if held_out not in ("case", "document"):
        raise Refused(f"hold out a 'case' or a 'document', not '{held_out}'")
    documents = list(session.scalars(select(Document).where(Document.project_id == project.id)
                                     .order_by(Document.id)))
    data = examples(session, project, codebook, documents=documents)
    if not data.codes:
        raise Refused(f"codebook '{codebook}' has no codable codes in project '{project.name}'")
    group_of = _groups(session, project, documents, held_out)
    folds = sorted(set(group_of.values()))
    if len(folds) < 2:
        raise Refused(f"the project needs at least two {held_out}s with coded documents to hold one out")
    result = Evaluation(codebook, held_out, len(folds), len(data.units), sum(1 for lab in data.labels if lab),
                        {m: Score() for m in METHODS}, {c: {m: Score() for m in METHODS} for c in data.codes})
    for fold in folds:
        test = [i for i, u in enumerate(data.units) if group_of.get(u.document_id) == fold]
        train_idx = [i for i, u in enumerate(data.units) if group_of.get(u.document_id) not in (fold, None)]
        if not test or not train_idx:
            continue
        subset = data.subset(train_idx)
        model = train(subset, codebook)
        learned: dict[int, set[str]] = {}
        position = {id(data.units[i]): i for i in test}
        for s in model.predict([data.units[i] for i in test], threshold):
            learned.setdefault(position[id(s.unit)], set()).add(s.code)
        frequent = Counter(k for labels in subset.labels for k in labels).most_common(1)
        for i in test:
            gold = data.labels[i]
            for method, predicted in (("learned", learned.get(i, set())),
                                      ("most frequent", {frequent[0][0]} if frequent else set()),
                                      ("terms", set(data.units[i].terms))):  # the term matches found with it
                for code in data.codes:
                    _count(result.pooled[method], result.per_code[code][method], code in predicted, code in gold)
    return result


def _count(pooled: Score, per_code: Score, predicted: bool, gold: bool) -> None:
    for score in (pooled, per_code):
        if predicted and gold:
            score.tp += 1
        elif predicted:
            score.fp += 1
        elif gold:
            score.fn += 1


def _groups(session: Session, project: Project, documents: list[Document], held_out: str) -> dict[int, str]:
    if held_out == "document":
        return {d.id: str(d.id) for d in documents}
    first: dict[int, str] = {}
    for document_id, name in session.execute(select(CaseDocument.document_id, Case.name).join(Case).where(
            Case.project_id == project.id).order_by(Case.name)):
        first.setdefault(document_id, name)  # a document in several cases is held out with the first
    return first
