"""Coarse types (PER, ORG, GPE) for entities that no source types, guessed from their titles.

PPRforNED types about 15,000 of the AIDA KB's entities; Wikipedia's titles come untyped. The linker reads a
candidate's type beside the mention's NER label, so an untyped "Lufthansa" competes at a disadvantage with a typed
namesake. A title says much: "_river", ", alabama", "f.c.", "university_of_", two capitalised words. `TypeGuesser`
is a naive Bayes classifier over title features, trained on the KB entities that PPRforNED typed (UNK included, as
the fourth class, so that it abstains as PPRforNED does); a guess below `min_confidence` stays untyped.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

UNTYPED = "UNK"  # the fourth class: PPRforNED's UNK, stored as NULL


def title_features(key: str) -> list[str]:
    """Words, last word and its ending, qualifier words, length: what a title tells of its type."""
    name, _, qualifier = key.lower().partition(",_")
    words = [word for word in name.split("_") if word]
    if not words:
        return ["empty"]
    features = [f"w:{word}" for word in words]
    features += [f"last:{words[-1]}", f"end:{words[-1][-3:]}", f"first:{words[0]}", f"n:{min(len(words), 4)}"]
    features += [f"q:{word}" for word in qualifier.split("_") if word] or ["q:none"]
    if any(char.isdigit() for char in name):
        features.append("digit")
    return features


@dataclass(frozen=True)
class TypeGuesser:
    """Multinomial naive Bayes over `title_features`; `guess` returns a type or None."""

    log_prior: dict[str, float]
    log_likelihood: dict[str, dict[str, float]]  # class → feature → log p(feature | class)
    log_unseen: dict[str, float]  # class → log p(an unseen feature | class)
    min_confidence: float = 0.7

    @classmethod
    def train(cls, keys: Sequence[str], types: Sequence[str | None], min_confidence: float = 0.7) -> TypeGuesser:
        """Fit on titles (any spelling) and their types (None = untyped), with add-one smoothing."""
        counts: dict[str, Counter[str]] = defaultdict(Counter)
        classes: Counter[str] = Counter()
        for key, kind in zip(keys, types, strict=True):
            label = kind or UNTYPED
            classes[label] += 1
            counts[label].update(title_features(key))
        vocabulary = len({feature for by_class in counts.values() for feature in by_class})
        log_prior = {label: math.log(n / sum(classes.values())) for label, n in classes.items()}
        log_likelihood, log_unseen = {}, {}
        for label, by_feature in counts.items():
            denominator = sum(by_feature.values()) + vocabulary
            log_likelihood[label] = {feature: math.log((n + 1) / denominator) for feature, n in by_feature.items()}
            log_unseen[label] = math.log(1 / denominator)
        return cls(log_prior, log_likelihood, log_unseen, min_confidence)

    def posterior(self, key: str) -> dict[str, float]:
        features = title_features(key)
        scores = {
            label: prior + sum(self.log_likelihood[label].get(f, self.log_unseen[label]) for f in features)
            for label, prior in self.log_prior.items()
        }
        top = max(scores.values())
        total = sum(math.exp(score - top) for score in scores.values())
        return {label: math.exp(score - top) / total for label, score in scores.items()}

    def guess(self, key: str) -> str | None:
        """The most probable type if it is a real one and at least `min_confidence` sure, else None."""
        posterior = self.posterior(key)
        label = max(posterior, key=posterior.__getitem__)
        return label if label != UNTYPED and posterior[label] >= self.min_confidence else None


def held_out_accuracy(keys: Sequence[str], types: Sequence[str | None], every: int = 10) -> dict[str, float]:
    """Train on all but every `every`-th entity, score on those: accuracy of typed guesses, and coverage."""
    test = set(range(0, len(keys), every))
    guesser = TypeGuesser.train(
        [k for i, k in enumerate(keys) if i not in test], [t for i, t in enumerate(types) if i not in test]
    )
    typed = [(keys[i], types[i]) for i in sorted(test) if types[i] is not None]
    guesses = [(guesser.guess(key), kind) for key, kind in typed]
    made = [(guess, kind) for guess, kind in guesses if guess is not None]
    return {
        "typed_entities": len(typed),
        "guessed": len(made) / len(typed) if typed else 0.0,
        "accuracy_of_guesses": sum(g == k for g, k in made) / len(made) if made else 0.0,
        "untyped_given_a_type": _rate(guesser, (keys[i] for i in sorted(test) if types[i] is None)),
    }


def _rate(guesser: TypeGuesser, keys: Iterable[str]) -> float:
    guesses = [guesser.guess(key) for key in keys]
    return sum(guess is not None for guess in guesses) / len(guesses) if guesses else 0.0
