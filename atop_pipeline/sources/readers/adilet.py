"""The adilet.zan.kz reader: status, requisites, repeal, treaty entry into force and denunciation signs.

Markup per the notes (§1.2-1.9): the status badge `span.status.status_*` in `div.container_alpha.slogan`,
repeated as `text_*` on `div.container_gamma.text`; the requisites sentence in the slogan `<p>`; the
repeal's effective date in the first `article > p.note`. The page's status is the status of the act
(for a treaty, the Kazakh ratification law), which is evidence about the treaty, not proof.
"""

from __future__ import annotations

import datetime as dt
import re

from bs4 import BeautifulSoup, Tag

from atop_pipeline.sources.adilet_urls import is_spa_shell, parse_adilet_url
from atop_pipeline.sources.readers import SourceReading, dates_json, decode_body, text_sha256
from atop_pipeline.sources.readers.dates import find_dates, first_date
from atop_pipeline.sources.readers.generic import (
    clean_text,
    guess_language,
    language_from_attr,
    parse_html,
    visible_text,
)

#: CSS class -> normalised status (notes §0.2). Anything else (status_arc, none) is unknown.
STATUS_NORM: dict[str, str] = {
    "status_new": "in_force",
    "status_upd": "in_force",
    "status_err": "in_force",
    "status_yts": "not_in_force",
}
#: Localised badge labels -> class, used only to cross-check the class (labels are not authoritative).
STATUS_LABELS: dict[str, str] = {
    "новый": "status_new", "обновленный": "status_upd", "исправление ошибки": "status_err",
    "утративший силу": "status_yts", "жаңа": "status_new", "жаңартылған": "status_upd",
    "күшін жойған": "status_yts", "new": "status_new", "updated": "status_upd",
}
_LANG_FROM_PATH = {"rus": "ru", "kaz": "kk", "eng": "en"}

_TITLE_SUFFIX = re.compile(r"\s+-\s+[^-]*(?:Әділет|Adilet)[^-]*$", re.IGNORECASE)
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-ZА-ЯЁӘІҢҒҮҰҚӨҺ«\"(])")
_NUMBER = re.compile(r"(?:№|\bNo\.?)\s*([0-9][\w/-]*(?:\s+(?:ЗРК|ҚРЗ))?)")
_REPEAL = re.compile(
    r"Утратил[аои]?\s+силу|Күші\s+жойылды|\b(?:lost\s+(?:its\s+)?force|no\s+longer\s+(?:valid|in\s+force)"
    r"|repealed|became\s+invalid|invalidated)\b",
    re.IGNORECASE,
)
# A footnote repeals the whole act only when the repeal is its first words («Сноска. Утратил силу …»);
# «Сноска. Пункт 5 утратил силу …» repeals one provision of an act that stays in force.
_NOTE_REPEAL = re.compile(
    r"^\s*(?:Сноска|Ескерту|Footnote|Note)\s*\.?\s*(?:Утратил[аои]?\s+силу|Күші\s+жойылды|"
    r"(?:Lost|Has\s+lost)\s+(?:its\s+)?force|Repealed|Became\s+invalid|Invalidated)",
    re.IGNORECASE,
)
# «(вводится в действие с 1 июля 2021 года)», kaz «(… бастап қолданысқа енгізіледі)», eng "(enters into force …)"
_EFFECTIVE_PAREN = re.compile(
    r"\(([^()]*(?:вво(?:дит|дят)ся\s+в\s+действие|вступает\s+в\s+силу|қолданысқа\s+енгізіл|"
    r"enters?\s+into\s+force|shall\s+be\s+enforced|comes?\s+into\s+effect)[^()]*)\)",
    re.IGNORECASE,
)
# The treaty's entry-into-force footnote from the Treaty Bulletin (notes §1.6).
_EIF_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(r"\(\s*\*?\s*Вступил[аои]?\s+в\s+силу[^()]{0,240}\)", re.IGNORECASE),
    re.compile(r"\([^()]{0,80}күшіне\s+енді[^()]{0,240}\)", re.IGNORECASE),
    re.compile(r"\(\s*\*?[^()]{0,120}Entered\s+into\s+force\s+on[^()]{0,240}\)", re.IGNORECASE),
)
_DENUNCIATION_TITLE = re.compile(
    r"денонсац|о\s+прекращении\s+действия|прекращени[ея]\s+действия|денонсациялау|күшін\s+жою\s+туралы"
    r"|қолданылуын\s+тоқтату|\bdenunciation\b|\btermination\s+of\b",
    re.IGNORECASE,
)
_DENUNCIATION_NOTE = re.compile(r"денонс|прекращ|тоқтат|\bdenounc|\bterminat", re.IGNORECASE)
# A denunciation law's operative paragraph starts with the capitalised verb; a treaty's own clauses use it
# mid-sentence ("каждая из Сторон может денонсировать"), which is not a sign.
_DENOUNCE_OPERATIVE = re.compile(r"^\s*(?:\d+\.\s*)?(?:Денонсировать|Денонсациялансын)\b")
_AS_OF = (
    re.compile(r"по\s+состоянию\s+на:?\s*(\d{1,2}\.\d{1,2}\.\d{4})", re.IGNORECASE),
    re.compile(r"(\d{1,2}\.\d{1,2}\.\d{4})\s*(?:ж\.?\s*)?жағдай\s+бойынша", re.IGNORECASE),
    re.compile(r"\bas\s+of:?\s*(\d{1,2}\.\d{1,2}\.\d{4})", re.IGNORECASE),
)
_RATIFICATION = re.compile(r"ратификац|ратификациялау|\bratification\b|\bratifying\b", re.IGNORECASE)
_TREATY_TITLE = re.compile(
    r"^(?:Договор|Соглашение|Конвенция|Протокол|Шарт|Келісім|Treaty|Agreement|Convention|Protocol)\b",
    re.IGNORECASE,
)


def _classes(tag: Tag | None) -> list[str]:
    if tag is None:
        return []
    value = tag.get("class") or []
    return list(value) if not isinstance(value, str) else value.split()


def _suffix(classes: list[str], prefix: str) -> str | None:
    for c in classes:
        if c.startswith(prefix) and len(c) > len(prefix):
            return c[len(prefix):]
    return None


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_SPLIT.split(clean_text(text)) if s.strip()]


def _strip_parens(text: str) -> str:
    return re.sub(r"\([^()]*\)", " ", text)


def _title(soup: BeautifulSoup, slogan: Tag | None) -> str:
    h1 = slogan.find("h1") if slogan is not None else None
    if h1 is not None and clean_text(h1.get_text()):
        return clean_text(h1.get_text())
    title_tag = soup.find("title")
    if title_tag is None:
        return ""
    return _TITLE_SUFFIX.sub("", clean_text(title_tag.get_text()))


def _language(url: str, soup: BeautifulSoup, text: str) -> str | None:
    ref = parse_adilet_url(url)
    if ref is not None:
        return _LANG_FROM_PATH[ref.lang]
    container = soup.find(id="container")
    suffix = _suffix(_classes(container if isinstance(container, Tag) else None), "lang_")
    if suffix:
        return language_from_attr(suffix)
    html = soup.find("html")
    attr = html.get("lang") if isinstance(html, Tag) else None
    return language_from_attr(attr if isinstance(attr, str) else None) or guess_language(text)


def _status(slogan: Tag | None, soup: BeautifulSoup) -> tuple[str | None, str, str]:
    """(raw status class, normalised status, evidence sentence)."""
    span = slogan.select_one("span.status") if slogan is not None else None
    if span is None:
        return None, "unknown", "no status badge (span.status) on the page: status unknown"
    suffix = _suffix(_classes(span), "status_")
    label = clean_text(span.get_text())
    if suffix is None:
        return None, "unknown", f"status badge «{label}» has no status_* class: status unknown"
    status_class = f"status_{suffix}"
    body = soup.select_one("div.container_gamma.text")
    text_suffix = _suffix(_classes(body), "text_")
    if text_suffix is None:
        return status_class, "unknown", (
            f"badge {status_class} «{label}» cannot be cross-checked: no text_* class on the body: status unknown"
        )
    if text_suffix != suffix:
        return status_class, "unknown", (
            f"badge {status_class} «{label}» disagrees with body class text_{text_suffix}: status unknown"
        )
    label_class = STATUS_LABELS.get(label.lower())
    if label_class is not None and label_class != status_class:
        return status_class, "unknown", (
            f"badge class {status_class} disagrees with its label «{label}»: status unknown"
        )
    norm = STATUS_NORM.get(status_class, "unknown")
    return status_class, norm, f"status badge {status_class} «{label}» (body text_{text_suffix}): {norm}"


def _effective_date(text: str) -> tuple[dt.date | None, str | None]:
    """The repeal's effective date from «(вводится в действие с …)» when a concrete date is given."""
    m = _EFFECTIVE_PAREN.search(text)
    if not m:
        return None, None
    return first_date(m.group(1)), f"({m.group(1).strip()})"


def _repeal(header_sentences: list[str], notes: list[str]) -> tuple[dt.date | None, dt.date | None, list[str]]:
    """(repeal act date, repeal effective date, evidence) from the header sentence and the footnotes."""
    repeal_date: dt.date | None = None
    effective: dt.date | None = None
    evidence: list[str] = []
    for sentence in header_sentences:
        if _REPEAL.search(sentence):
            # The date outside parentheses is the repealing act's; the parenthetical may give the effect.
            repeal_date = first_date(_strip_parens(sentence)) or repeal_date
            eff, _ = _effective_date(sentence)
            effective = eff or effective
            evidence.append(sentence)
    for note in notes:
        if not _NOTE_REPEAL.search(note):
            continue
        if repeal_date is None:
            repeal_date = first_date(_strip_parens(note))
        eff, _ = _effective_date(note)
        effective = effective or eff
        evidence.append(note)
    return repeal_date, effective, evidence


def _entry_into_force(article_text: str) -> tuple[dt.date | None, str | None]:
    for pattern in _EIF_PATTERNS:
        m = pattern.search(article_text)
        if m:
            d = first_date(m.group(0))
            if d is not None:
                return d, m.group(0)
    return None, None


def _links_to_titles(soup: BeautifulSoup) -> list[str]:
    """Titles of the acts that refer to this one (`/links`, `div#to`), header row skipped."""
    block = soup.find(id="to")
    if not isinstance(block, Tag):
        return []
    titles: list[str] = []
    for row in block.find_all("tr"):
        link = row.find("a")
        if link is not None:
            titles.append(clean_text(link.get_text()))
    return titles


#: /info requisites labels (notes §1.7) whose value dates the act's adoption.
_INFO_ADOPTION = ("дата принятия акта", "актінің қабылданған күні", "date of adoption")


def _info_rows(soup: BeautifulSoup) -> dict[str, str]:
    """The /info requisites as label -> value (`table#ethernatable` or `table.params`; 2-cell rows)."""
    table = soup.select_one("table#ethernatable, table.params")
    if table is None or soup.find(id="to") is not None:
        return {}
    rows: dict[str, str] = {}
    for tr in table.find_all("tr"):
        cells = tr.find_all("td")
        if len(cells) == 2:
            label, value = clean_text(cells[0].get_text(" ")), clean_text(cells[1].get_text(" "))
            if label and value and value.upper() != "НЕТ":  # empty values are written НЕТ
                rows.setdefault(label, value)
    return rows


def _denunciation(title: str, notes: list[str], paragraphs: list[str], linked: list[str]) -> list[str]:
    """Evidence sentences showing denunciation or termination of the treaty (empty when none)."""
    evidence: list[str] = []
    if _DENUNCIATION_TITLE.search(title):
        evidence.append(f"title: {title}")
    evidence += [f"footnote: {n}" for n in notes if _DENUNCIATION_NOTE.search(n)]
    evidence += [f"operative text: {p}" for p in paragraphs if _DENOUNCE_OPERATIVE.search(p)][:1]
    evidence += [f"referring act (links#to): {t}" for t in linked if _DENUNCIATION_TITLE.search(t)]
    return evidence


def _subject(url: str, title: str) -> str:
    ref = parse_adilet_url(url)
    if _RATIFICATION.search(title) and (ref is None or ref.doc_id[:1].upper() in {"Z", "U", "P"}):
        return "ratifying_act"
    if _TREATY_TITLE.search(title):
        return "treaty"
    return "unknown"


def _source_as_of(text: str) -> dt.date | None:
    for pattern in _AS_OF:
        m = pattern.search(text)
        if m:
            return first_date(m.group(1))
    return None


def _act(header_sentences: list[str]) -> tuple[dt.date | None, str | None, str | None]:
    """(adoption date, number, sentence) from the requisites' first sentence."""
    for sentence in header_sentences:
        if _REPEAL.search(sentence):
            continue
        d = first_date(sentence)
        if d is None:
            continue
        m = _NUMBER.search(sentence)
        number = m.group(1).rstrip(".") if m else None
        return d, number, sentence
    return None, None, None


def _shell_reading(url: str, body: bytes, text: str, snapshot_id: str) -> SourceReading:
    soup = parse_html(text)
    title_tag = soup.find("title")
    title = _TITLE_SUFFIX.sub("", clean_text(title_tag.get_text())) if title_tag else ""
    ref = parse_adilet_url(url)
    return SourceReading(
        snapshot_id=snapshot_id, url=url, reader="adilet", title=title,
        language=_LANG_FROM_PATH[ref.lang] if ref else None, status_class=None, status_norm="unknown",
        subject="unknown", act_date=None, act_number=None, repeal_date=None, repeal_effective_date=None,
        entry_into_force_date=None, denunciation=False, source_as_of=None,
        text_sha256=text_sha256(visible_text(soup)), dates_json="[]",
        evidence_text=f"adilet served the JavaScript shell ({len(body)} bytes), not the document: status unknown",
    )


def read_adilet(
    url: str, body: bytes, headers: dict[str, str] | None = None, *, snapshot_id: str = ""
) -> SourceReading:
    """Read an adilet document page (text, /info or /links view; rus, kaz or eng)."""
    text, _codec = decode_body(body, headers)
    if is_spa_shell(body):
        return _shell_reading(url, body, text, snapshot_id)
    soup = parse_html(text)
    for banner in soup.select("div.top-notice-banner"):  # site-wide chrome, not the document (notes §1.2)
        banner.decompose()
    slogan = soup.select_one("div.container_alpha.slogan")
    title = _title(soup, slogan)
    status_class, status_norm, status_evidence = _status(slogan, soup)

    header_text = ""
    if slogan is not None:
        paragraphs = [clean_text(p.get_text(" ")) for p in slogan.find_all("p")]
        header_text = " ".join(p for p in paragraphs if p)
    header_sentences = _sentences(header_text)

    article = soup.find("article")
    notes: list[str] = []
    paragraphs_text: list[str] = []
    article_text = ""
    if isinstance(article, Tag):
        notes = [clean_text(n.get_text(" ")) for n in article.select("p.note, span.note")]
        paragraphs_text = [clean_text(p.get_text(" ")) for p in article.find_all("p")]
        article_text = clean_text(article.get_text(" "))

    act_date, act_number, act_sentence = _act(header_sentences)
    info = _info_rows(soup)
    info_evidence: list[str] = []
    for label, value in info.items():
        if label.lower() in _INFO_ADOPTION:
            info_evidence.append(f"info: {label}: {value}")
            act_date = act_date or first_date(value)
    repeal_date, repeal_effective, repeal_evidence = _repeal(header_sentences, notes)
    eif_date, eif_evidence = _entry_into_force(article_text)
    linked = _links_to_titles(soup)
    denunciation_evidence = _denunciation(title, notes, paragraphs_text, linked)

    page_text = visible_text(soup)
    info_text = " ".join(f"{k}: {v}" for k, v in info.items())
    main_text = " ".join(t for t in (title, header_text, article_text, info_text) if t) or page_text
    if linked:
        main_text += " " + " ".join(linked)

    evidence = [status_evidence]
    if act_sentence:
        evidence.append(act_sentence)
    evidence += info_evidence
    evidence += repeal_evidence
    if eif_evidence:
        evidence.append(f"treaty entry into force: {eif_evidence}")
    evidence += denunciation_evidence

    return SourceReading(
        snapshot_id=snapshot_id,
        url=url,
        reader="adilet",
        title=title,
        language=_language(url, soup, page_text),
        status_class=status_class,
        status_norm=status_norm,
        subject=_subject(url, title),
        act_date=act_date,
        act_number=act_number,
        repeal_date=repeal_date,
        repeal_effective_date=repeal_effective,
        entry_into_force_date=eif_date,
        denunciation=bool(denunciation_evidence),
        source_as_of=_source_as_of(page_text),
        text_sha256=text_sha256(main_text),
        dates_json=dates_json([f.date for f in find_dates(main_text)]),
        evidence_text=" | ".join(evidence),
    )

