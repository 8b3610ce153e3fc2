"""Learned suggestions: held-out quality beside the two baselines, training time and suggestion time, in one run.

    .venv/bin/python bench/suggest_bench.py [--cases 40] [--documents 5] [--sentences 120] [--seed 7]

Set-up (untimed): the demo study is loaded into a scratch SQLite database. A larger synthetic project is then built
in the same database from the demo's own sentences of the codebook `network-conditions` (26 codes): --cases cases
of --documents interviews of --sentences respondent sentences each. A sentence is coded (probability 0.22) by
taking a demo sentence coded with that codebook and its codes, otherwise an uncoded demo sentence; either way a
quarter of its words are dropped and two words of another uncoded sentence are mixed in, so no sentence repeats
verbatim. The synthetic project is what a team that codes one codebook consistently across many cases produces;
the demo (3 cases, 5 to 10 examples per code) is what a team has after its first transcripts. Both are reported.

  Q   `analysis.suggestion_eval.evaluate`, leave-one-case-out on the synthetic project; on each demo codebook
      leave-one-case-out and leave-one-document-out, pooled over the five codebooks: precision, recall and F1 of
      the learned model, the most frequent code and the indicator terms.
  E   `coding.learned.examples` over the synthetic project (sentences, labels, term matches).
  T   `coding.learned.train` on those examples (one logistic regression per code).
  Tf  the floor of T: scikit-learn alone, the same vectoriser and the same logistic regression per code.
  S   `coding.learned.suggest_learned` with the trained model for one 10,000-word transcript of the project.
  Sf  the floor of S: the indicator-term suggestions (`coding.suggest.suggest_codings`) for the same transcript.

Median of --repeats for T, Tf, S, Sf; E once. Peak memory (max RSS) at the end. Results go to stdout and
bench/results/suggest_bench.json.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.measure import RESULTS, describe_machine, load, machine, scratch_database, versions, write_json

CODEBOOK = "network-conditions"
DEMO_CODEBOOKS = ("value-creation", "network-conditions", "learning-layers", "collective-impact", "learning-levels")
CODED_SHARE = 0.22


def _perturb(rng: random.Random, sentence: str, filler: list[str]) -> str:
    words = [w for w in sentence.rstrip(".!?…").split() if rng.random() > 0.25] or sentence.split()[:3]
    for word in (rng.choice(filler) for _ in range(2)):
        words.insert(rng.randrange(len(words) + 1), word.strip(".,!?;:…\"'()").lower() or "en")
    text = " ".join(words).replace("\n", " ")
    return text[0].upper() + text[1:] + "."


def _pools(session, project):  # type: ignore[no-untyped-def]
    from coding.learned import examples

    data = examples(session, project, CODEBOOK)
    coded = [(u.text, sorted(labels)) for u, labels in zip(data.units, data.labels) if labels]
    plain = [u.text for u, labels in zip(data.units, data.labels) if not labels]
    return coded, plain


def _interview(rng: random.Random, coded, plain, sentences: int, words: int = 0):  # type: ignore[no-untyped-def]
    """The text and the coded spans of one synthetic interview: turns of three respondent sentences (at least
    `sentences` of them, and at least `words` respondent words)."""
    parts: list[str] = []
    spans: list[tuple[int, int, list[str]]] = []
    at = said = k = 0
    while k < sentences or said < words:
        if k % 3 == 0:
            question = "I: Kunt u daar meer over vertellen?\nR: "
            parts.append(("\n" if parts else "") + question)
            at += len(parts[-1])
        codes: list[str] = []
        if rng.random() < CODED_SHARE:
            source, codes = rng.choice(coded)
        else:
            source = rng.choice(plain)
        sentence = _perturb(rng, source, rng.choice(plain).split())
        piece = sentence if k % 3 == 0 else " " + sentence
        start = at + (0 if k % 3 == 0 else 1)
        parts.append(piece)
        at += len(piece)
        said += len(sentence.split())
        k += 1
        if codes:
            spans.append((start, start + len(sentence), codes))
    return "".join(parts) + "\n", spans


def build_synthetic(engine, args) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """The synthetic project (returns its name and the title of its 10,000-word transcript)."""
    from cases.importer import SpeakerDecision, preview_import, store_import
    from cases.projects import create_case, create_project, get_or_create_coder, get_project
    from codebooks.service import adopt_codebook
    from coding.bulk_coding import Selected, code_selections
    from demo.load import DEMO_PROJECT
    from store.db import read_session, write_session

    rng = random.Random(args.seed)
    with read_session(engine) as s:
        coded, plain = _pools(s, get_project(s, DEMO_PROJECT))
    name = "Synthetic suggestions"
    speakers = {"I": SpeakerDecision("interviewer"), "R": SpeakerDecision("respondent")}
    with write_session(engine) as s:
        project = create_project(s, name)
        adopt_codebook(s, project, CODEBOOK)
    for c in range(args.cases):
        with write_session(engine) as s:
            project = get_project(s, name)
            coder, _ = get_or_create_coder(s, project, "Sanne")
            case = create_case(s, project, f"Netwerk {c + 1:02d}")
            for d in range(args.documents + (1 if c == 0 else 0)):
                long = c == 0 and d == args.documents  # the 10,000-word transcript
                text, spans = _interview(rng, coded, plain, args.sentences, 10_000 if long else 0)
                title = "lang_interview" if long else f"n{c:02d}_d{d}"
                document = store_import(s, project, preview_import(f"{title}.txt", text.encode()), cases=[case],
                                        speakers=speakers)
                refused = [r for r in code_selections(s, project, document, [
                    Selected(coder, start, end, [f"{CODEBOOK}/{k}" for k in keys]) for start, end, keys in spans],
                    actor="bench") if isinstance(r, str)]
                if refused:
                    raise SystemExit(f"synthetic coding refused: {refused[0]}")
    return name, "lang_interview"


def _median(fn, repeats: int) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    times, result = [], None
    for _ in range(repeats):
        began = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - began)
    return statistics.median(times), result


def _pooled(result) -> dict:  # type: ignore[no-untyped-def]
    return {m: s.as_dict() for m, s in result.pooled.items()}


def _demo_scores(session, demo, held_out: str) -> dict:  # type: ignore[no-untyped-def]
    """Every demo codebook held out by case (or document), and the scores pooled over the codebooks."""
    from analysis.suggestion_eval import METHODS, Score, evaluate

    total = {m: Score() for m in METHODS}
    per_codebook = {}
    for key in DEMO_CODEBOOKS:
        result = evaluate(session, demo, key, held_out=held_out)
        per_codebook[key] = {"coded_sentences": result.coded_sentences, "pooled": _pooled(result)}
        for m in METHODS:
            for name in ("tp", "fp", "fn"):
                setattr(total[m], name, getattr(total[m], name) + getattr(result.pooled[m], name))
    return {"sentences": result.sentences, "per_codebook": per_codebook,
            "pooled": {m: score.as_dict() for m, score in total.items()}}


def run(args) -> dict:  # type: ignore[no-untyped-def]
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sqlalchemy import func, select

    from analysis.suggestion_eval import evaluate
    from cases.projects import get_document, get_project
    from coding.learned import examples, features, suggest_learned, train
    from coding.suggest import suggest_codings
    from demo.load import DEMO_PROJECT, load_demo
    from store.db import get_engine, read_session
    from store.migrate import upgrade
    from store.models import Code, Codebook, Coding, Segment

    with scratch_database("sqlite", "suggest") as url:
        upgrade(url)
        engine = get_engine(url)
        load_demo(engine)
        began = time.perf_counter()
        name, long_title = build_synthetic(engine, args)
        build_s = time.perf_counter() - began
        out: dict = {"build_s": round(build_s, 1)}
        with read_session(engine) as s:
            demo = get_project(s, DEMO_PROJECT)
            out["demo"] = {hold: _demo_scores(s, demo, hold) for hold in ("case", "document")}
            project = get_project(s, name)
            codings = s.scalar(select(func.count()).select_from(Coding).join(Segment).join(Code).join(Codebook)
                               .where(Codebook.project_id == project.id))
            synthetic = evaluate(s, project, CODEBOOK, held_out="case")
            out["synthetic"] = {"cases": args.cases, "documents": args.cases * args.documents + 1,
                                "codings": codings, "sentences": synthetic.sentences,
                                "coded_sentences": synthetic.coded_sentences, "pooled": _pooled(synthetic)}
            began = time.perf_counter()
            data = examples(s, project, CODEBOOK)
            out["examples_s"] = round(time.perf_counter() - began, 2)
            train_s, model = _median(lambda: train(data, CODEBOOK), args.repeats)

            def floor() -> None:
                matrix = TfidfVectorizer(analyzer=lambda t: t, sublinear_tf=True).fit_transform(
                    [features(u) for u in data.units])
                for key in model.models:  # type: ignore[attr-defined]
                    LogisticRegression(C=4.0, class_weight="balanced", max_iter=1000).fit(
                        matrix, [key in lab for lab in data.labels])

            floor_s, _ = _median(floor, args.repeats)
            document = get_document(s, project, long_title)
            words = sum(len(u.text.split()) for u in data.units if u.document_id == document.id)
            suggest_s, found = _median(lambda: suggest_learned(s, project, document, CODEBOOK, model=model),
                                       args.repeats)
            terms_s, _ = _median(lambda: suggest_codings(s, project, document), args.repeats)
        out.update({"train_s": round(train_s, 2), "train_floor_s": round(floor_s, 2),
                    "train_ratio": round(train_s / floor_s, 2), "models": len(model.models),  # type: ignore
                    "transcript_words": words, "suggest_s": round(suggest_s, 3),
                    "suggest_floor_s": round(terms_s, 3), "suggest_ratio": round(suggest_s / terms_s, 2),
                    "suggestions": len(found[0]),  # type: ignore[index]
                    "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=40)
    parser.add_argument("--documents", type=int, default=5)
    parser.add_argument("--sentences", type=int, default=120)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    before = load()
    result = run(args)
    result.update({"machine": machine(), "load_before": before, "load_after": load(),
                   "versions": versions("scikit-learn", "spacy", "sqlalchemy")})
    print(describe_machine(result))
    for where, scores in (("demo, case held out", result["demo"]["case"]),
                          ("demo, document held out", result["demo"]["document"]),
                          ("synthetic, case held out", result["synthetic"])):
        print(f"{where}: " + "; ".join(f"{m} P {s['precision']} R {s['recall']} F1 {s['f1']}"
                                       for m, s in scores["pooled"].items()))
    print(f"synthetic: {result['synthetic']['codings']} codings, {result['synthetic']['sentences']} sentences; "
          f"examples {result['examples_s']} s; train {result['train_s']} s = {result['train_ratio']}x floor "
          f"{result['train_floor_s']} s ({result['models']} codes)")
    print(f"suggest for {result['transcript_words']} words: {result['suggest_s']} s = {result['suggest_ratio']}x "
          f"the term suggestions {result['suggest_floor_s']} s; max RSS {result['max_rss_mb']} MB")
    write_json(RESULTS / "suggest_bench.json", result)


if __name__ == "__main__":
    main()
