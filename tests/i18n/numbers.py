"""How a page writes its numbers (issue 15): one form per page, the reader's.

Read by tests/i18n/test_numbers_on_pages.py. A number in a visible text is a run of digits with
the separators a locale puts between them; it is in the Swedish form ("1 234,5": a non-breaking
or narrow space between groups, a decimal comma) or the English form ("1,234.5").
"""

from __future__ import annotations

import re

import lxml.html

GROUP = "\u00a0\u202f"
# A run of digits with separators inside it; a trailing "." or "," ends a sentence, not a number.
NUMBER = re.compile(rf"\d(?:[\d{GROUP},.]*\d)?")
STRICT = {
    "sv": re.compile(rf"\d{{1,3}}(?:[{GROUP}]\d{{3}})*(?:,\d+)?"),
    "en": re.compile(r"\d{1,3}(?:,\d{3})*(?:\.\d+)?"),
}
# The other language's form anywhere on a page: a decimal point on a Swedish page; a grouping
# space or a comma not followed by exactly three digits on an English page.
FOREIGN = {
    "sv": re.compile(r"\d\.\d"),
    "en": re.compile(rf"\d[{GROUP}]\d|\d,(?:\d{{1,2}}|\d{{4,}})(?!\d)"),
}
# A year of the data (2020–2039) written as a quantity ("2 026", "2,026"): one that missed
# |unlocalize. Round quantities ("2 000 kW") are not years of the data.
GROUPED_YEAR = re.compile(rf"2[{GROUP},]0[23]\d")
# Where a number must stay machine-readable whatever the language.
LOCALIZED_IN_ATTRIBUTE = re.compile(rf"\d[{GROUP}]\d|\d(?:%C2%A0|%E2%80%AF)\d", re.I)
SVG_COORDINATES = ("x", "y", "width", "height", "d", "viewBox", "points", "x1", "x2", "y1", "y2")
READ_BY_PEOPLE = {"title", "placeholder", "aria-label", "alt"}
# Not read as text: scripts, identifiers (<code>), an SVG's metadata and definitions.
SKIPPED_TAGS = {"script", "style", "code", "kbd", "samp", "noscript", "template", "metadata", "defs"}


def _skipped(element) -> bool:
    for e in [element, *element.iterancestors()]:
        if not isinstance(e.tag, str) or e.tag in SKIPPED_TAGS or ":" in e.tag:
            return True
        if "data-as-written" in e.attrib or "langswitch" in (e.get("class") or "").split():
            return True
    return False


def visible_texts(html: str) -> list[str]:
    """The texts a reader sees in <body>, without identifiers (<code>) and stored messages."""
    body = lxml.html.fromstring(html).find(".//body")
    texts = []
    for element in body.iter():
        if not isinstance(element.tag, str) or _skipped(element):
            continue
        if element.text and element.text.strip():
            texts.append(element.text)
        if element.tail and element.tail.strip() and element.getparent() is not None \
                and not _skipped(element.getparent()):
            texts.append(element.tail)
    return texts


def numbers_in_cells(html: str) -> list[str]:
    """The numbers of every element marked `num` (table cells of quantities, figures)."""
    body = lxml.html.fromstring(html).find(".//body")
    found = []
    for element in body.find_class("num"):
        if not _skipped(element):
            found += NUMBER.findall(element.text_content())
    return found


def wrong_numbers(html: str, language: str) -> list[str]:
    """The numbers of the page in a form other than `language`'s: in a `num` element, any that
    is not strictly in that form (a 1234 without its group separator too); elsewhere, any in the
    other language's form."""
    wrong = [n for n in numbers_in_cells(html) if not STRICT[language].fullmatch(n)]
    for text in visible_texts(html):
        wrong += [n for n in NUMBER.findall(text) if FOREIGN[language].search(n)]
        wrong += [n for n in NUMBER.findall(text) if GROUPED_YEAR.fullmatch(n)]
    return sorted(set(wrong))


def localized_attributes(html: str) -> list[str]:
    """Attributes a machine reads (links, form values, ids, data-*, SVG coordinates) holding a
    number written for a reader: "1 234" in a link or a data attribute, "12,5" in a coordinate."""
    tree = lxml.html.fromstring(html)
    wrong = []
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        for name, value in element.attrib.items():
            if name in READ_BY_PEOPLE:
                continue
            if LOCALIZED_IN_ATTRIBUTE.search(value):
                wrong.append(f"<{element.tag} {name}={value!r}>")
            elif name in SVG_COORDINATES and re.search(r"\d,\d", value) and name not in {"d", "points"}:
                wrong.append(f"<{element.tag} {name}={value!r}>")
    return sorted(set(wrong))
