"""Finding identifiers in a note with presidio-analyzer's pattern recognizers (no NLP model, no
download): presidio's own recognizers for e-mail, phone, dates, SSN, IP, cards, IBAN, licences,
NPI and MBI, and ours, kept as data in phi_patterns.yaml, for names after titles, labels and
signatures, record and account numbers, addresses, ages over 89 and URLs. A name found once is
then masked wherever else it is written in the note."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from reviewer.privacy.masked import MaskedText

_SPLIT_NAME = (",", " ", "\t")


@dataclass(frozen=True)
class PhiPatterns:
    version: str
    kinds: tuple[str, ...]
    library: dict[str, str]  # presidio recognizer class -> placeholder kind
    not_names: frozenset[str]
    recognizers: tuple[dict[str, Any], ...]  # name, kind, regexes (macros expanded), ignore_case


@lru_cache(maxsize=1)
def load_patterns() -> PhiPatterns:
    raw: dict[str, Any] = yaml.safe_load(
        resources.files("reviewer.privacy").joinpath("phi_patterns.yaml").read_text("utf-8")
    )
    not_names = sorted({str(w).lower() for w in raw["not_names"]}, key=lambda w: (-len(w), w))
    macros: dict[str, str] = {"NOT_NAMES": "|".join(_escape(w) for w in not_names)}
    for name, value in raw["macros"].items():
        macros[name] = _expand(str(value), macros)
    recognizers = []
    for item in raw["recognizers"]:
        before = [_expand(b, macros) for b in item.get("before", [])]
        regexes = []
        for pattern in item["patterns"]:
            body = _expand(pattern, macros)
            regexes.append(f"(?<=(?:{'|'.join(before)}))(?:{body})" if before else body)
        recognizers.append(
            {
                "name": item["name"],
                "kind": item["kind"],
                "regexes": regexes,
                "ignore_case": bool(item.get("ignore_case", False)),
            }
        )
    kinds = tuple(raw["kinds"])
    for rec in recognizers:
        if rec["kind"] not in kinds:
            raise ValueError(f"phi_patterns.yaml: recognizer {rec['name']}: unknown kind {rec['kind']}")
    return PhiPatterns(
        version=str(raw["version"]),
        kinds=kinds,
        library={str(k): str(v) for k, v in raw["library"].items()},
        not_names=frozenset(not_names),
        recognizers=tuple(recognizers),
    )


def _escape(word: str) -> str:
    import regex

    return str(regex.escape(word))


def _expand(text: str, macros: dict[str, str]) -> str:
    for _ in range(5):  # macros may use macros defined before them
        for name, value in macros.items():
            text = text.replace("{" + name + "}", value)
    return text


class PhiFinder:
    """The recognizers, built once (presidio compiles each pattern on first use)."""

    def __init__(self) -> None:
        from presidio_analyzer import Pattern, PatternRecognizer

        self.patterns = load_patterns()
        self._recognizers: list[tuple[Any, str]] = []
        for name, kind in self.patterns.library.items():
            self._recognizers.append((_library_recognizer(name), kind))
        for rec in self.patterns.recognizers:
            import regex

            flags = regex.MULTILINE | (regex.IGNORECASE if rec["ignore_case"] else 0)
            recognizer = PatternRecognizer(
                supported_entity=rec["kind"],
                name=rec["name"],
                patterns=[Pattern(f"{rec['name']}-{i}", r, 0.5) for i, r in enumerate(rec["regexes"])],
                global_regex_flags=flags,
            )
            self._recognizers.append((recognizer, rec["kind"]))
        self._lock = threading.Lock()  # presidio compiles lazily and keeps state on its patterns
        self._timeouts = _TimeoutWatch()
        logging.getLogger("presidio-analyzer").addHandler(self._timeouts)
        with self._lock:
            self._find("Warm-up 555-201-7788 on 3/4/2020.")

    def find(self, text: str) -> list[tuple[int, int, str]]:
        with self._lock:
            self._timeouts.seen = 0
            found = self._find(text)
            if self._timeouts.seen:  # presidio skips a pattern that times out: that would leak
                raise TimeoutError("a PHI pattern timed out on this note")
            return found

    def _find(self, text: str) -> list[tuple[int, int, str]]:
        found: list[tuple[int, int, str]] = []
        for recognizer, kind in self._recognizers:
            for result in recognizer.analyze(text, recognizer.supported_entities):
                if result.end > result.start:
                    found.append((int(result.start), int(result.end), kind))
        found.extend(self._same_names(text, found))
        return _merge(found, self.patterns.kinds)

    def _same_names(self, text: str, found: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
        """A name found once (after "Dr." or "Patient:") is masked wherever else it is written."""
        from presidio_analyzer import PatternRecognizer

        words: set[str] = set()
        for start, end, kind in found:
            if kind != "NAME":
                continue
            for word in _name_words(text[start:end]):
                if word.lower() not in self.patterns.not_names:
                    words.update({word, word.upper()})
        if not words:
            return []
        deny = PatternRecognizer(
            supported_entity="NAME",
            name="same_name_elsewhere",
            deny_list=sorted(words, key=lambda w: (-len(w), w)),
            global_regex_flags=0,  # case-sensitive: "Green" the name, not "green" the colour
        )
        return [(int(r.start), int(r.end), "NAME") for r in deny.analyze(text, ["NAME"])]


class _TimeoutWatch(logging.Handler):
    """Counts presidio's "pattern timed out, skipping" warnings (it logs them instead of raising)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.seen = 0

    def emit(self, record: logging.LogRecord) -> None:
        if "timed out" in record.getMessage():
            self.seen += 1


def _name_words(name: str) -> list[str]:
    for sep in _SPLIT_NAME[1:]:
        name = name.replace(sep, _SPLIT_NAME[0])
    out = []
    for word in name.split(_SPLIT_NAME[0]):
        word = word.strip(".")
        if word.endswith(("'s", "’s")):
            word = word[:-2]
        if len(word) >= 3 and word.isupper():
            out.append(word.title())
        elif len(word) >= 2 and any(c.islower() for c in word[1:]):
            out.append(word)
    return out


def _merge(found: list[tuple[int, int, str]], kinds: tuple[str, ...]) -> list[tuple[int, int, str]]:
    """Overlapping finds become one span; its kind is that of the longest find (ties: the more
    specific kind, earlier in `kinds`)."""
    rank = {k: i for i, k in enumerate(kinds)}
    out: list[tuple[int, int, str]] = []
    best: tuple[int, int] = (0, 0)  # (length, -rank) of the kind chosen for the open span
    for start, end, kind in sorted(found):
        score = (end - start, -rank.get(kind, len(kinds)))
        if out and start < out[-1][1]:
            s, e, k = out[-1]
            if score > best:
                k, best = kind, score
            out[-1] = (s, max(e, end), k)
        else:
            out.append((start, end, kind))
            best = score
    return out


def _library_recognizer(name: str) -> Any:
    from presidio_analyzer import predefined_recognizers

    if name == "EmailRecognizer":
        return _offline_email_recognizer_class()()
    if name == "PhoneRecognizer":
        return predefined_recognizers.PhoneRecognizer(supported_regions=("US", "CA", "GB"))
    return getattr(predefined_recognizers, name)()


def _offline_email_recognizer_class() -> Any:
    import tldextract
    from presidio_analyzer.predefined_recognizers import EmailRecognizer

    # The bundled public-suffix snapshot: tldextract's default would fetch the list over the network.
    extract = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)

    class OfflineEmailRecognizer(EmailRecognizer):
        def validate_result(self, pattern_text: str) -> bool:
            return bool(extract(pattern_text).fqdn)

    return OfflineEmailRecognizer


_finder: PhiFinder | None = None
_finder_lock = threading.Lock()


def finder() -> PhiFinder:
    global _finder
    with _finder_lock:
        if _finder is None:
            _finder = PhiFinder()
        return _finder


def mask(text: str) -> MaskedText:
    """The note with every identifier found replaced by its typed placeholder, and the span map."""
    return MaskedText.build(text, finder().find(text))
