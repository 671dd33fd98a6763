"""Short synthetic clinical notes where one word (the symptom) decides the class."""
from __future__ import annotations

import string
from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence

import numpy as np

from models._arguments import check_int, fail
from models.data._common import check_seed, frozen

__all__ = ["CLASS_NAMES", "SYMPTOMS", "DRUGS", "CONDITIONS", "ClinicalNotes",
           "make_clinical_notes", "encode_note"]

CLASS_NAMES = ("neurological", "respiratory", "cardiac")
SYMPTOMS = {
    "neurological": ("headache", "migraine", "dizziness", "numbness", "seizure"),
    "respiratory": ("cough", "wheezing", "breathlessness", "sputum", "dyspnoea"),
    "cardiac": ("palpitations", "angina", "tachycardia", "arrhythmia", "bradycardia"),
}
# drugs and past conditions: distractor words that carry no information about the class
DRUGS = ("ibuprofen", "paracetamol", "metformin", "aspirin", "insulin", "omeprazole",
         "levothyroxine", "allopurinol")
CONDITIONS = ("arthritis", "diabetes", "gout", "eczema", "osteoporosis", "hypothyroidism",
              "glaucoma", "reflux")
_SEVERITY = ("mild", "severe", "recurrent", "new", "sudden", "persistent")
_WHEN = ("today", "yesterday", "overnight", "again", "recently")
# {s} symptom, {d} drug, {c} condition, {a} severity adjective, {t} time word
_TEMPLATES = (
    "the patient reports a {s} and took {d} for {c}",
    "{s} since {t} history of {c} on {d}",
    "patient with {c} presents with {a} {s} after {d}",
    "on {d} for {c} now complains of {s}",
    "known {c} treated with {d} reports {a} {s} {t}",
    "{a} {s} reported {t} by patient taking {d}",
    "history of {c} and {d} use presents with {s}",
    "the patient took {d} for {c} and reports {s}",
)
_FILLERS = ("please", "review", "noted", "follow", "up")
_LECTURE_NOTE = "The patient reports a headache and took ibuprofen for arthritis"


@lru_cache(maxsize=1)
def _vocabulary() -> tuple[str, ...]:
    words: set[str] = set()
    for tpl in _TEMPLATES:
        words.update(w for w in tpl.split() if not w.startswith("{"))
    for group in (*SYMPTOMS.values(), DRUGS, CONDITIONS, _SEVERITY, _WHEN, _FILLERS):
        words.update(group)
    words.update(_tokenise(_LECTURE_NOTE))
    return ("<pad>", "<unk>", *sorted(words))


def _tokenise(text: str) -> list[str]:
    table = str.maketrans({c: " " for c in string.punctuation})
    return text.lower().translate(table).split()


@dataclass(frozen=True)
class ClinicalNotes:
    """Short synthetic clinical notes where one word (the symptom) decides the class.

    Attributes:
        tokens: ``(n, seq_len)`` int32 word indices, 0 = padding at the end.
        labels: ``(n,)`` int64 class index into ``class_names``.
        vocabulary: list of words; index 0 = ``"<pad>"``, 1 = ``"<unk>"``.
        texts: the notes as text.
        key_positions: ``(n,)`` int64 position of the symptom word in ``tokens``.
        class_names: ``("neurological", "respiratory", "cardiac")``.
    """

    tokens: np.ndarray
    labels: np.ndarray
    vocabulary: list
    texts: list
    key_positions: np.ndarray
    class_names: tuple[str, ...] = CLASS_NAMES

    def encode(self, text: str) -> np.ndarray:
        """Encode a note with this vocabulary and length (see :func:`encode_note`)."""
        return encode_note(text, self.vocabulary, self.tokens.shape[1])

    def decode(self, tokens: Sequence[int]) -> str:
        """Words of a token row, padding dropped."""
        return " ".join(self.vocabulary[int(t)] for t in tokens if int(t) != 0)


def encode_note(text: str, vocabulary: Sequence[str], seq_len: int = 12) -> np.ndarray:
    """Turn a note into ``seq_len`` word indices.

    What this shows: a network reads text as numbers: one index per word,
    unknown words share index 1, short notes are padded with 0.

    Args:
        text: the note; lower-cased and stripped of punctuation.
        vocabulary: list of words, index 0 = ``"<pad>"``, 1 = ``"<unk>"``.
        seq_len: output length; longer notes are cut.

    Returns:
        ``(seq_len,)`` int32.
    """
    if not isinstance(text, str):
        fail("text", text, "a str (the note)")
    seq_len = check_int("seq_len", seq_len, low=1)
    index = {w: i for i, w in enumerate(vocabulary)}
    ids = [index.get(w, 1) for w in _tokenise(text)][:seq_len]
    out = np.zeros(seq_len, dtype=np.int32)
    out[: len(ids)] = ids
    return out


def make_clinical_notes(n: int = 1000, seed: int = 0, seq_len: int = 12) -> ClinicalNotes:
    """Short notes like "The patient reports a headache and took ibuprofen for arthritis".

    What this shows: attention can find the one word (the symptom) that decides
    the class, wherever it sits; drugs and past conditions are distractors that
    carry no information about the label.

    Args:
        n: number of notes (>= 1); classes are balanced (counts differ by at most 1).
        seed: random seed.
        seq_len: tokens per note (>= 10); notes are padded with 0 at the end.

    Returns:
        A frozen :class:`ClinicalNotes`.
    """
    n = check_int("n", n, low=1)
    seq_len = check_int("seq_len", seq_len, low=10)
    rng = np.random.default_rng(check_seed(seed))
    vocab = list(_vocabulary())
    index = {w: i for i, w in enumerate(vocab)}
    labels = rng.permutation(np.arange(n) % len(CLASS_NAMES)).astype(np.int64)
    tokens = np.zeros((n, seq_len), dtype=np.int32)
    keys = np.zeros(n, dtype=np.int64)
    texts = []
    for i, lab in enumerate(labels):
        fill = {"s": SYMPTOMS[CLASS_NAMES[lab]][rng.integers(5)],
                "d": DRUGS[rng.integers(len(DRUGS))],
                "c": CONDITIONS[rng.integers(len(CONDITIONS))],
                "a": _SEVERITY[rng.integers(len(_SEVERITY))],
                "t": _WHEN[rng.integers(len(_WHEN))]}
        words = _TEMPLATES[rng.integers(len(_TEMPLATES))].format(**fill).split()
        room = seq_len - len(words)
        if room > 0 and rng.random() < 0.5:  # a filler at the start or end shifts positions
            k = int(rng.integers(1, min(room, 2) + 1))
            extra = [_FILLERS[j] for j in rng.integers(len(_FILLERS), size=k)]
            words = extra + words if rng.random() < 0.5 else words + extra
        keys[i] = words.index(fill["s"])
        tokens[i, : len(words)] = [index[w] for w in words]
        texts.append(" ".join(words).capitalize() + ".")
    return ClinicalNotes(tokens=frozen(tokens), labels=frozen(labels), vocabulary=vocab,
                         texts=texts, key_positions=frozen(keys), class_names=CLASS_NAMES)
