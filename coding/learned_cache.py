"""Learned suggestion models kept per project and codebook, trained in the background so nobody waits for one.

Training reads every sentence of a project (seconds for a large one), so the Coding page must never do it on its
own run: it asks `LearnedModels.ensure`, which starts a training thread when there is no model yet, or when
`RETRAIN_AFTER` codings or rejections came since the model was trained, and returns at once with the model it has
(possibly none) and the training's progress. The model is derived data held only in this process's memory;
losing it costs one retraining, nothing else.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, replace

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from cases.projects import get_project
from coding.learned import Model, examples, train
from store.db import read_session
from store.models import Code, Codebook, Coding, Event, Project, SuggestionRejection

RETRAIN_AFTER = 5  # codings or rejections added or removed in the codebook that make a model worth training again


@dataclass(frozen=True)
class Basis:
    """What a model learns from, counted: the codebook's codings and rejections, and the project's logged changes
    to codings, segments, suggestions and documents (the log only grows, so a removal followed by a new coding,
    which leaves the counts as they were, still counts as two changes)."""

    codings: int = 0
    rejections: int = 0
    changes: int = 0

    def changes_since(self, old: Basis) -> int:
        return max(abs(self.codings - old.codings) + abs(self.rejections - old.rejections),
                   self.changes - old.changes)


@dataclass(frozen=True)
class TrainingState:
    """What a caller may show: the model to use (if any), and how far a training in progress is."""

    model: Model | None = None
    trained_on: Basis | None = None  # what the model (or the training running) learns from
    running: bool = False
    progress: float = 0.0
    step: str = ""
    error: str | None = None
    seconds: float | None = None  # how long the last training took


LEARNED_FROM = ("coding", "segment", "suggestion", "document")  # the logged entities whose changes a model sees


def training_basis(session: Session, project_id: int, codebook: str) -> Basis:
    """The codings and rejections of the codebook in the project, and the project's logged changes to them."""
    codings = session.scalar(select(func.count()).select_from(Coding).join(Code, Code.id == Coding.code_id)
                             .join(Codebook, Codebook.id == Code.codebook_id)
                             .where(Codebook.project_id == project_id, Codebook.key == codebook))
    rejections = session.scalar(select(func.count()).select_from(SuggestionRejection)
                                .join(Code, Code.id == SuggestionRejection.code_id)
                                .join(Codebook, Codebook.id == Code.codebook_id)
                                .where(SuggestionRejection.project_id == project_id, Codebook.key == codebook))
    changes = session.scalar(select(func.count()).select_from(Event).where(
        Event.project_guid == select(Project.guid).where(Project.id == project_id).scalar_subquery(),
        Event.entity.in_(LEARNED_FROM)))
    return Basis(codings or 0, rejections or 0, changes or 0)


class LearnedModels:
    """The models of one database, by (project guid, codebook key)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._states: dict[tuple[uuid.UUID, str], TrainingState] = {}
        self._changed = threading.Condition()

    def status(self, project_guid: uuid.UUID, codebook: str) -> TrainingState:
        with self._changed:
            return self._states.get((project_guid, codebook), TrainingState())

    def ensure(self, project_guid: uuid.UUID, codebook: str, basis: Basis) -> TrainingState:
        """Start training when there is no model, or when `RETRAIN_AFTER` codings or rejections were added or
        removed since the model's `basis` (see `training_basis`); return the state at once."""
        key = (project_guid, codebook)
        with self._changed:
            state = self._states.get(key, TrainingState())
            old = state.trained_on
            stale = old is None or (state.model is None and state.error is None) or \
                basis.changes_since(old) >= RETRAIN_AFTER
            if state.running or not stale or (state.error is not None and old == basis):
                return state
            state = replace(state, running=True, progress=0.0, step="starting", error=None, trained_on=basis)
            self._states[key] = state
        threading.Thread(target=self._train, args=(key, basis), daemon=True,
                         name=f"learn-{codebook}").start()
        return state

    def wait(self, project_guid: uuid.UUID, codebook: str, timeout: float) -> TrainingState:
        """Block until no training of this model runs (for the command line and tests), or `timeout` passes."""
        key = (project_guid, codebook)
        with self._changed:
            self._changed.wait_for(lambda: not self._states.get(key, TrainingState()).running, timeout)
            return self._states.get(key, TrainingState())

    def _set(self, key: tuple[uuid.UUID, str], **changes: object) -> None:
        with self._changed:
            self._states[key] = replace(self._states.get(key, TrainingState()), **changes)  # type: ignore[arg-type]
            self._changed.notify_all()

    def _train(self, key: tuple[uuid.UUID, str], basis: Basis) -> None:
        project_guid, codebook = key
        began = time.perf_counter()
        try:
            with read_session(self._engine) as session:
                project = get_project(session, str(project_guid))
                data = examples(session, project, codebook,
                                on_progress=lambda share, step: self._set(key, progress=0.6 * share, step=step))
            model = train(data, codebook,
                          on_progress=lambda share, step: self._set(key, progress=0.6 + 0.4 * share, step=step))
        except Exception as exc:  # noqa: BLE001 - shown as one line on the page; the old model stays usable
            self._set(key, running=False, error=f"training failed: {type(exc).__name__}: {exc}"[:300],
                      step="", trained_on=basis)
            return
        self._set(key, model=model, running=False, progress=1.0, step="", trained_on=basis,
                  seconds=time.perf_counter() - began)


_registry: dict[str, LearnedModels] = {}
_registry_lock = threading.Lock()


def learned_models(engine: Engine) -> LearnedModels:
    """The one `LearnedModels` of this process for the database of `engine`."""
    url = engine.url.render_as_string(hide_password=False)
    with _registry_lock:
        if url not in _registry:
            _registry[url] = LearnedModels(engine)
        return _registry[url]
