"""Raw English text → CoNLL-2003-style tokens with character offsets, grouped into sentences, as a stream.

The model was trained on Reuters text as tokenised for CoNLL-2003, so unseen text is cut the same way:
punctuation and quotes are tokens of their own, the clitics `'s` `n't` `'re` `'ve` `'ll` `'d` `'m` are split off
(`Germany 's`, `do n't`), while initialisms (`U.S.`, `a.m.`, `U.S.-led`), the abbreviations Reuters writes with a
period (`Mr.`, `Corp.`, `Jan.`), initials (`M.`), numbers (`1996-08-22`, `3.5`, `1,000`) and hyphenated words
(`one-day`, `CAC-40`) stay whole. Every token is a slice of the text: `text[token.start:token.end] == token.text`.

Sentences end at `.` `!` `?` (and `...`), possibly followed by closing quotes or brackets, when the next token
starts on a new line or with a capital letter, a digit or an opening quote; never after a title, a month, an
initial or an initialism (`Mr. Smith`, `U.S. Open`). A blank line always ends a sentence (a paragraph, or a
headline). Both generators keep one sentence in memory, so a text of any length streams through.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from itertools import pairwise

# Abbreviations that keep their period in CoNLL-2003 (counted in eng.train).
_TITLES = "Mr|Mrs|Ms|Dr|St|Jr|Sr|Gen|Lt|Col|Sgt|Capt|Cmdr|Adm|Rev|Prof|Gov|Sen|Rep|Pres|Mt|Ft"
_MONTHS = "Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
_COMPANIES = "Inc|Corp|Co|Ltd|Bros|Plc"
_STATES = "Ala|Ariz|Ark|Calif|Colo|Conn|Del|Fla|Ga|Ill|Ind|Kan|Ky|La|Md|Mass|Mich|Minn|Miss|Mo|Mont|Neb|Nev|Okla|Ore|Pa|Tenn|Tex|Va|Vt|Wash|Wis|Wyo"  # noqa: E501
_OTHER = "vs|etc|approx|vol|No"
_ABBREVIATION = f"(?:{_TITLES}|{_MONTHS}|{_COMPANIES}|{_STATES}|{_OTHER})\\."
_CLITIC = r"(?:[nN]['’][tT]|['’](?:[sS]|[rR][eE]|[vV][eE]|[lL][lL]|[dD]|[mM]))"
_ALNUM = r"[^\W_]"
_LETTER = r"[^\W\d_]"

_TOKEN = re.compile(
    rf"""
      (?:{_LETTER}\.){{2,}}(?:-{_ALNUM}+)*        # initialisms: U.S. a.m. m.p.h. U.S.-led
    | {_ABBREVIATION}(?!{_ALNUM})               # Mr. Corp. Jan. Calif.
    | [A-Z]\.(?!{_ALNUM})                       # an initial: M. (as in "M. Smith")
    | \d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?            # 1,000 and 20,000.5
    | {_ALNUM}+?(?={_CLITIC}(?!{_ALNUM}))        # the word before a clitic: Germany('s) do(n't)
    | {_CLITIC}(?!{_ALNUM})                      # 's n't 're 've 'll 'd 'm
    | {_ALNUM}+(?:(?:[-&]|(?!{_CLITIC}(?!{_ALNUM}))['’]|\.(?=[\da-z]))+{_ALNUM}+)*  # one-day AT&T O'Neill 3.5 x.com
    | -{{2,}} | \.{{2,}} | \*{{2,}}                  # -- ... **
    | \S                                        # any other character is a token of its own
    """,
    re.VERBOSE,
)
_NO_BREAK_AFTER = re.compile(rf"(?:{_TITLES}|{_MONTHS}|{_OTHER})\.|[A-Z]\.|(?:{_LETTER}\.){{2,}}")
_SENTENCE_END = {".", "!", "?", "...", "..", "....", "?!", "!?"}
_CLOSING = {'"', "'", "”", "’", ")", "]", "}", "»"}
_OPENING = {'"', "'", "“", "‘", "(", "[", "«", "`"}
_BLANK_LINE = re.compile(r"\n[^\S\n]*\n")

MAX_SENTENCE_TOKENS = 200  # longer runs without a sentence end are cut: CoNLL's longest sentence has 124 tokens


@dataclass(frozen=True, slots=True)
class Token:
    text: str
    start: int  # character offset in the text, inclusive
    end: int  # exclusive


def tokenize(text: str, boundaries: Collection[int] = ()) -> Iterator[Token]:
    """Tokens of `text`, left to right; a token that spans one of the character offsets `boundaries` is cut there.

    `boundaries` lets a caller's spans (`Annotator.link`) start and end on token edges whatever the rules say.
    """
    cuts = sorted(set(boundaries))
    for match in _TOKEN.finditer(text):
        start, end = match.span()
        inside = cuts[bisect_right(cuts, start) : bisect_left(cuts, end)] if cuts else None
        if not inside:  # most tokens, and all without boundaries: no cut, no pairing
            yield Token(match.group(), start, end)
            continue
        for left, right in pairwise([start, *inside, end]):
            yield Token(text[left:right], left, right)


def split_sentences(
    text: str, boundaries: Collection[int] = (), max_tokens: int = MAX_SENTENCE_TOKENS
) -> Iterator[list[Token]]:
    """The sentences of `text`, each a non-empty list of tokens (see the module docstring for the rules)."""
    sentence: list[Token] = []
    for token in tokenize(text, boundaries):
        if sentence and _breaks_before(text, sentence, token):
            yield sentence
            sentence = []
        sentence.append(token)
        if len(sentence) >= max_tokens:
            yield sentence
            sentence = []
    if sentence:
        yield sentence


def _breaks_before(text: str, sentence: list[Token], token: Token) -> bool:
    """Does a new sentence start at `token`, given the tokens of the current one?"""
    gap = text[sentence[-1].end : token.start]
    if "\n" in gap and _BLANK_LINE.search(gap):
        return True
    last = len(sentence) - 1
    while last > 0 and sentence[last].text in _CLOSING:  # `He left." The` ends at `."`
        last -= 1
    end = sentence[last].text
    is_end = end in _SENTENCE_END or (end.endswith(".") and not _NO_BREAK_AFTER.fullmatch(end))
    if not is_end or not gap:
        return False
    return "\n" in gap or token.text[0].isupper() or token.text[0].isdigit() or token.text in _OPENING
