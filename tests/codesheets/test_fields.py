"""Typed fields from answer text: dates, members, durations, provisions, references, URLs."""

from __future__ import annotations

import pytest

from atop_pipeline.codesheets import fields
from atop_pipeline.codesheets.cow import cow_states, is_known_ccode, lookup_ccode_by_name
from atop_pipeline.codesheets.model import PartialDate
from atop_pipeline.codesheets.parser import parse_text
from tests.conftest import build_sheet, sheet_text_from

BASE = {1: "9001", 3: "May 5, 1990", 4: "France (220)\nItaly (325)", 14: "Still in effect.", 16: "Defense pact", 58: "Treaty", 60: "1/2/2019", 61: "A Coder"}


def _sheet(answers: dict[int, str]):  # type: ignore[no-untyped-def]
    return parse_text(sheet_text_from(build_sheet({**BASE, **answers})))


# ---- dates ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("November 11, 2013", (2013, 11, 11)),
        ("11 November 2013", (2013, 11, 11)),
        ("Nov. 11, 2013", (2013, 11, 11)),
        ("Sept. 23, 1955", (1955, 9, 23)),
        ("7/7/2020", (2020, 7, 7)),  # US month/day/year, as ATOP sheets write it
        ("2/18/1952", (1952, 2, 18)),
        ("2013-11-11", (2013, 11, 11)),
        ("the 3rd of March 1918", (1918, 3, 3)),
        ("November 2013", (2013, 11, None)),
        ("1815", (1815, None, None)),
    ],
)
def test_date_forms(text: str, expected: tuple) -> None:
    d = fields.parse_date(text)
    assert d is not None and (d.year, d.month, d.day) == expected


def test_impossible_date_is_found_but_has_no_value() -> None:
    (match,) = fields.find_dates("February 30, 1950")
    assert match.value is None and match.text == "February 30, 1950"
    assert fields.parse_date("February 30, 1950") is None
    assert fields.parse_date("13/40/2001") is None


def test_impossible_signature_date_is_a_warning_and_the_value_missing() -> None:
    sheet = _sheet({3: "February 30, 1950"})
    assert any("impossible date 'February 30, 1950'" in w for w in sheet.warnings)
    assert sheet.atop["begyr"] is None
    assert all(m.entry is None for m in sheet.members)


# ---- members ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Kazakhstan (705)\nRussia (365)",
        "705 Kazakhstan\n365 Russia",
        "Kazakhstan, 705\nRussia, 365",
        "Kazakhstan - 705\nRussia – 365",
        "Kazakhstan (705) and Russia (365)",
        "Members: Kazakhstan (705), Russia (365).",
        "705 Kazakhstan, 365 Russia",
        "Kazakhstan and Russia",
    ],
)
def test_member_forms(text: str) -> None:
    assert [(m.ccode, m.name) for m in fields.parse_members(text)] == [(705, "Kazakhstan"), (365, "Russia")]


def test_members_in_running_prose() -> None:
    text = "United Kingdom (200), France (220), and Italy (325) signed; the Netherlands (210) joined later."
    assert [(m.ccode, m.name) for m in fields.parse_members(text)] == [
        (200, "United Kingdom"), (220, "France"), (325, "Italy"), (210, "Netherlands"),
    ]  # fmt: skip


def test_unknown_ccode_is_kept_with_a_warning() -> None:
    sheet = _sheet({4: "France (220)\nAtlantis (999)"})
    atlantis = next(m for m in sheet.members if m.ccode == 999)
    assert atlantis.known_to_cow is False and atlantis.name == "Atlantis"
    assert any("999" in w and "not in the COW state list" in w for w in sheet.warnings)
    assert sheet.atop["mem2"] == 999


def test_annam_8152_is_accepted_though_not_in_the_cow_list() -> None:
    assert 8152 not in cow_states()
    assert is_known_ccode(8152)
    sheet = _sheet({4: "France (220)\nAnnam (8152)"})
    assert not any("8152" in w for w in sheet.warnings)


@pytest.mark.parametrize(
    ("name", "ccode"),
    [("Russia", 365), ("Russian Federation", 365), ("USA", 2), ("United States", 2), ("UK", 200), ("Britain", 200),
     ("Great Britain", 200), ("the United Kingdom", 200), ("Côte d'Ivoire", 437), ("Kazakhstan", 705), ("Narnia", None)],
)  # fmt: skip
def test_lookup_ccode_by_name(name: str, ccode: int | None) -> None:
    assert lookup_ccode_by_name(name) == ccode


def test_cow_list_is_deduplicated() -> None:
    states = cow_states()
    assert states[365] == "Russia" and states[2] == "United States of America"
    assert len(states) == len(set(states))


# ---- per-member signature and termination dates ------------------------------------------------


def test_one_signature_date_applies_to_every_member() -> None:
    sheet = _sheet({3: "November 11, 2013", 4: "Kazakhstan (705)\nRussia (365)"})
    assert {m.ccode: m.entry.iso() for m in sheet.members} == {705: "2013-11-11", 365: "2013-11-11"}


def test_signature_dates_per_member_and_per_group() -> None:
    sheet = _sheet(
        {
            3: "Turkey (640), Iraq (645): 24 February 1955\nAccession of the United Kingdom (200): April 5, 1955\nPakistan: Sept. 23, 1955\nIran (630): 11/3/1955",
            4: "Turkey (640)\nIraq (645)\nUnited Kingdom (200)\nPakistan (770)\nIran (630)",
        }
    )
    entries = {m.ccode: m.entry.iso() for m in sheet.members}
    assert entries == {640: "1955-02-24", 645: "1955-02-24", 200: "1955-04-05", 770: "1955-09-23", 630: "1955-11-03"}
    assert [d.iso() for d in sheet.signature_dates] == ["1955-02-24", "1955-04-05", "1955-09-23", "1955-11-03"]


def test_member_named_in_signature_dates_by_name_only() -> None:
    sheet = _sheet({3: "Russia: November 11, 2013\nKazakhstan: November 12, 2013", 4: "Kazakhstan (705)\nRussia (365)"})
    assert {m.ccode: m.entry.day for m in sheet.members} == {705: 12, 365: 11}
    assert (sheet.atop["begyr"], sheet.atop["begmo"], sheet.atop["begday"]) == (2013, 11, 12)


def test_accession_listed_only_in_question_3_adds_the_member() -> None:
    sheet = _sheet({3: "May 5, 1990\nAccession of Turkey (640): 2/18/1952", 4: "France (220)\nItaly (325)"})
    turkey = next(m for m in sheet.members if m.ccode == 640)
    assert turkey.entry.iso() == "1952-02-18"


def test_still_in_effect_as_of_a_date_with_its_source() -> None:
    sheet = _sheet({14: "Still in effect as of 7/7/2020 as per Kazakh Legislature: http://adilet.zan.kz/rus/docs/Z1400000246"})
    claim = sheet.termination
    assert claim.kind == "in_effect" and claim.date.iso() == "2020-07-07"
    assert claim.source_urls == ("http://adilet.zan.kz/rus/docs/Z1400000246",)
    assert all(m.exit is None for m in sheet.members)
    assert (sheet.atop["ineffect"], sheet.atop["endyr"]) == (1, 0)


@pytest.mark.parametrize(
    ("answer", "end"),
    [
        ("Terminated on May 5, 1955", (1955, 5, 5)),
        ("March 3, 1918 (Brest-Litovsk)", (1918, 3, 3)),
        ("The alliance ended in June 1941 with the German invasion.", (1941, 6, None)),
    ],
)
def test_termination_date_for_all_members(answer: str, end: tuple) -> None:
    sheet = _sheet({3: "May 5, 1900", 14: answer})
    assert sheet.termination.kind == "terminated"
    assert (sheet.atop["endyr"], sheet.atop["endmo"], sheet.atop["endday"]) == end
    assert sheet.atop["ineffect"] == 0
    assert all((r["yrexit"], r["moexit"], r["dayexit"]) == end for r in sheet.atop_members)


def test_termination_dates_per_member() -> None:
    sheet = _sheet({3: "May 5, 1900", 14: "France (220): May 5, 1910\nItaly: June 1, 1915"})
    exits = {r["member"]: (r["yrexit"], r["moexit"], r["dayexit"]) for r in sheet.atop_members}
    assert exits == {220: (1910, 5, 5), 325: (1915, 6, 1)}
    assert (sheet.atop["endyr"], sheet.atop["endmo"], sheet.atop["endday"]) == (1915, 6, 1)


def test_unknown_termination() -> None:
    sheet = _sheet({14: "Unknown"})
    assert sheet.termination.kind == "unknown"
    assert sheet.atop["ineffect"] is None and sheet.atop["endyr"] is None


# ---- establishment, secrecy, duration, renewal, renunciation -----------------------------------


@pytest.mark.parametrize(
    ("answer", "estmode"),
    [
        ("Treaty", 1), ("Treaty (ratified)", 1), ("Executive agreement", 0), ("Exchange of notes", 0),
        ("Diplomatic notes", 0), ("Exchange of letters", 0), ("Protocol not requiring ratification", 0),
        ("Agreement; did not require ratification", 0), ("Unknown", None),
    ],
)  # fmt: skip
def test_estmode_from_means_of_establishment(answer: str, estmode: int | None) -> None:
    assert _sheet({6: answer}).atop["estmode"] == estmode


@pytest.mark.parametrize(
    ("answer", "pubsecr"),
    [("Public.", 0), ("Public; no secret articles.", 0), ("Public but with secret articles on targets.", 1),
     ("Public, with a secret protocol.", 1), ("Secret.", 2), ("Entirely secret treaty.", 2)],
)  # fmt: skip
def test_pubsecr_from_publicity(answer: str, pubsecr: int) -> None:
    assert _sheet({7: answer}).atop["pubsecr"] == pubsecr


@pytest.mark.parametrize(
    ("answer", "speclgth", "length"),
    [
        ("Yes. Article 8 — “concluded for a period of 5 years”", 1, 60),
        ("Yes. Ten years.", 1, 120),
        ("Yes. 20 years", 1, 240),
        ("Yes. The treaty lasts six months.", 1, 6),
        ("Yes. For the duration of the war.", 2, 0),
        ("Yes. Until the end of the present war.", 2, 0),
        ("Yes. The treaty is of indefinite duration.", 3, 0),
        ("Yes. Unlimited.", 3, 0),
        ("No.", 0, 0),
    ],
)
def test_duration_of_the_treaty(answer: str, speclgth: int, length: int) -> None:
    atop = _sheet({10: answer}).atop
    assert (atop["speclgth"], atop["length"]) == (speclgth, length)


def test_renewal_automatic_unless_notice_with_renewal_and_notice_lengths() -> None:
    clause = (
        "Yes.\nSection 30 — “This Agreement is concluded for a period of 5 years. Its validity will be automatically extended for "
        "subsequent five-year periods if none of the Contracting Parties informs the other Contracting Party in writing of its "
        "intention to terminate this Agreement no less than six months before the expiration of the initial or any subsequent period.”"
    )
    sheet = _sheet({10: clause, 12: clause, 13: "Zero."})
    d = sheet.duration
    assert (d.speclgth, d.length_months, d.proren, d.renewal_months, d.notice_months, d.renewals) == (1, 60, 2, 60, 6, 0)
    assert (sheet.atop["proren"], sheet.atop["renewlgt"]) == (2, 60)


@pytest.mark.parametrize(
    ("answer", "proren", "renewlgt"),
    [
        ("Yes. The treaty may be renewed by mutual agreement of the parties.", 1, 0),
        ("Yes. It may be extended for a further ten years by agreement.", 1, 120),
        ("Yes. Tacitly renewed from year to year unless denounced.", 2, 12),
        ("Yes. Automatically extended unless a party gives notice.", 2, 0),
        ("No.", 0, 0),
    ],
)
def test_renewal_provisions(answer: str, proren: int, renewlgt: int) -> None:
    atop = _sheet({12: answer}).atop
    assert (atop["proren"], atop["renewlgt"]) == (proren, renewlgt)


def test_renewals_count() -> None:
    assert _sheet({13: "Zero."}).duration.renewals == 0
    assert _sheet({13: "Twice: 1960 and 1970, by exchange of notes."}).duration.renewals == 2


@pytest.mark.parametrize(
    ("answer", "renounce"),
    [
        ("No.", 0),
        ("Yes. Any party may withdraw at any time with one year's notice.", 1),
        ("Yes. A party may renounce the treaty if another member commits aggression.", 2),
        ("Yes. After a period of five years any party may denounce it.", 3),
        ("Yes. Renunciation is prohibited.", 4),
    ],
)
def test_renunciation_codes(answer: str, renounce: int) -> None:
    assert _sheet({11: answer}).atop["renounce"] == renounce


# ---- obligations -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("Nonaggression Pact\n\nNeutrality", {"nonagg": 1, "neutral": 1}),
        ("Defense pact", {"defense": 1}),
        ("Defence; consultation", {"defense": 1, "consul": 1}),
        ("Non-aggression pact", {"nonagg": 1}),
        ("non aggression, offensive alliance", {"nonagg": 1, "offense": 1}),
        ("Offense, Neutrality pact, Consultation pact", {"offense": 1, "neutral": 1, "consul": 1}),
    ],
)
def test_obligation_types_from_labels(answer: str, expected: dict) -> None:
    full = {"defense": 0, "offense": 0, "neutral": 0, "nonagg": 0, "consul": 0, **expected}
    atop = _sheet({16: answer}).atop
    assert {k: atop[k] for k in full} == full


def test_obligations_fall_back_to_question_18_headings() -> None:
    sheet = _sheet({16: "", 18: "Nonaggression:\nSection 1 — “...”\nConsultation:\nSection 2 — “...”"})
    assert sheet.obligations == {"defense": 0, "offense": 0, "neutral": 0, "nonagg": 1, "consul": 1}


# ---- provisions, references, URLs, organisations, people ----------------------------------------


def test_quoted_provision_wrapping_over_lines() -> None:
    text = "Section 30 — “This Agreement is concluded\nfor a period of 5 years.”\nArticle 5: \"An attack on one.\""
    assert [(p.article, p.quote) for p in fields.find_provisions(text)] == [
        ("Section 30", "This Agreement is concluded for a period of 5 years."),
        ("Article 5", "An attack on one."),
    ]


@pytest.mark.parametrize(
    ("text", "article", "quote"),
    [
        ("Art. 2 - 'The parties shall consult.'", "Art. 2", "The parties shall consult."),
        ("Preamble — reaffirms the principles of the UN Charter", "Preamble", "reaffirms the principles of the UN Charter"),
        ("Section 3 — [Each Contracting Party] “will not allow its territory to be used”", "Section 3", "[Each Contracting Party] will not allow its territory to be used"),
        ("Article 4(2): “Each party shall assist.”", "Article 4(2)", "Each party shall assist."),
        ("Article 1 - 'the other party's forces will aid.'", "Article 1", "the other party's forces will aid."),
    ],
)
def test_provision_forms(text: str, article: str, quote: str) -> None:
    assert [(p.article, p.quote) for p in fields.find_provisions(text)] == [(article, quote)]


def test_provisions_are_recorded_per_question() -> None:
    sheet = _sheet({18: "Article 5: \"An attack on one.\"", 27: "Yes. Section 3 — “No hostile blocs.”"})
    assert [(p.question, p.article) for p in sheet.provisions] == [(18, "Article 5"), (27, "Section 3")]


def test_prose_mentioning_an_article_is_not_a_provision() -> None:
    assert fields.find_provisions("In Section 19 the parties agree to cooperate.") == []


@pytest.mark.parametrize("text", ["ATOP # 3740", "ATOP# 3740", "ATOP #3740", "ATOP 3740", "(ATOP ID 3740)", "atop id: 3740"])
def test_alliance_reference_forms(text: str) -> None:
    assert [a for a, _ in fields.find_alliance_references(f"Helsinki Final Act {text} — Preamble")] == [3740]


def test_alliance_references_carry_question_and_context() -> None:
    sheet = _sheet({48: "Yes.\nHelsinki Final Act/OSCE (ATOP # 3740) — Preamble.\nCSTO (ATOP# 4220) — Section 19."})
    assert [(r.question, r.atopid) for r in sheet.references] == [(48, 3740), (48, 4220)]
    assert sheet.references[0].context.startswith("Helsinki Final Act/OSCE")
    assert sheet.to_json()["references"] == [3740, 4220]


def test_urls_lose_trailing_punctuation_and_are_deduplicated() -> None:
    text = "See http://a.org/x. and (https://b.org/y), https://b.org/y; also https://en.wikipedia.org/wiki/Treaty_(1815)."
    assert fields.find_urls(text) == ["http://a.org/x", "https://b.org/y", "https://en.wikipedia.org/wiki/Treaty_(1815)"]


def test_citations_are_deduplicated_per_question_and_urls_overall() -> None:
    url = "http://adilet.zan.kz/rus/docs/Z1400000246"
    sheet = _sheet({14: f"Still in effect as of 7/7/2020: {url}\n\n{url}", 59: url})
    assert [(c.question, c.url) for c in sheet.citations] == [(14, url), (59, url)]
    assert sheet.urls == [url]


def test_international_organisations_named_in_question_47() -> None:
    sheet = _sheet(
        {47: "Yes. The Preamble refers to the United Nations, the Organization for Security\nand Cooperation in Europe and the CSTO."}
    )
    assert sheet.io_references == ["United Nations", "Organization for Security and Cooperation in Europe", "CSTO"]


def test_revision_date_and_coders() -> None:
    sheet = _sheet({60: "7/7/2020", 61: "Nicholas Coulombe and Ashley Leeds"})
    assert sheet.revision_date == PartialDate(2020, 7, 7, "7/7/2020")
    assert sheet.coders == ["Nicholas Coulombe", "Ashley Leeds"]
    assert _sheet({61: "A. Tester, B. Checker & C. Reviewer"}).coders == ["A. Tester", "B. Checker", "C. Reviewer"]


def test_cow_alliance_number() -> None:
    assert _sheet({2: "3521"}).cowid == 3521
    assert _sheet({2: "N/A"}).cowid is None


@pytest.mark.parametrize(
    ("text", "months"),
    [("8 years and 10 months", 106), ("twenty-two years and four months", 268), ("ninety-nine years", 1188),
     ("a period of five years", 60), ("fifteen-year term", 180), ("six months", 6)],
)  # fmt: skip
def test_durations_in_words_and_compounds(text: str, months: int) -> None:
    assert [d.months for d in fields.find_durations(text)] == [months]


def test_first_stated_term_decides_speclgth_and_a_stated_length_is_kept() -> None:
    # As ATOP codes 2440: "until the end of the present war ... in any case ... 5 years" -> 2 and 60.
    text = "“The obligations of this Treaty shall continue until the end of the present war. It shall in any case remain in force for 5 years.”"
    assert fields.term_of_treaty(text) == (2, 60)
    assert fields.term_of_treaty("“This Treaty shall remain in force indefinitely. It shall in any case remain in force for three years.”") == (3, 36)


def test_explicitly_prohibited_renunciation_under_a_no_answer() -> None:
    assert _sheet({11: "No; renunciation is explicitly prohibited. Article 8 — “No Party may withdraw.”"}).atop["renounce"] == 4


def test_date_before_the_members_it_is_for() -> None:
    sheet = _sheet({3: "3 January 1815: United Kingdom (200), France (220)\n13 January 1815: Bavaria (245)", 4: "200 United Kingdom\n220 France\n245 Bavaria"})
    assert {m.ccode: m.entry.iso() for m in sheet.members} == {200: "1815-01-03", 220: "1815-01-03", 245: "1815-01-13"}


def test_a_name_after_the_date_is_prose_not_the_member_the_date_is_for() -> None:
    sheet = _sheet({3: "June 18, 1887", 4: "255 Germany\n365 Russia", 14: "June 18, 1890 — Germany declined to renew the treaty."})
    assert {m.ccode: m.exit.iso() for m in sheet.members} == {255: "1890-06-18", 365: "1890-06-18"}


def test_overlapping_names_match_the_longest() -> None:
    sheet = _sheet(
        {3: "April 4, 1949\nWest Germany: 23 October 1954\nGermany: October 3, 1990", 4: "France (220)\nGerman Federal Republic (260)\nGermany (255)"}
    )
    assert {m.ccode: m.entry.iso() for m in sheet.members} == {220: "1949-04-04", 260: "1954-10-23", 255: "1990-10-03"}


def test_state_names_containing_and_are_not_split() -> None:
    mentions = fields.parse_members("Trinidad and Tobago, Antigua & Barbuda and the United States")
    assert [(m.ccode, m.name) for m in mentions] == [(52, "Trinidad and Tobago"), (58, "Antigua & Barbuda"), (2, "United States")]


@pytest.mark.parametrize("text", ["Kazakhstan [705]\nRussia [365]", "Kazakhstan (COW code 705)\nRussia (ccode: 365)"])
def test_codes_in_brackets_or_labelled(text: str) -> None:
    assert [m.ccode for m in fields.parse_members(text)] == [705, 365]


def test_cow_abbreviations_name_members() -> None:
    assert lookup_ccode_by_name("RUS") == 365 and lookup_ccode_by_name("UKG") == 200


def test_dotted_dates_are_day_month_year() -> None:
    assert fields.parse_date("11.02.2013") == PartialDate(2013, 2, 11, "11.02.2013")


def test_ratification_and_entry_into_force_are_not_signature_dates() -> None:
    sheet = _sheet({3: "Signed November 11, 2013; ratified by Russia June 2, 2014\nEntered into force: 7/1/2014"})
    assert [d.iso() for d in sheet.signature_dates] == ["2013-11-11"]
    assert (sheet.atop["begyr"], sheet.atop["begmo"], sheet.atop["begday"]) == (2013, 11, 11)


@pytest.mark.parametrize("answer", ["In force.", "Currently in force (UNTS).", "Still valid as of 2019.", "Remains in effect."])
def test_in_effect_wordings(answer: str) -> None:
    sheet = _sheet({14: answer})
    assert sheet.termination.kind == "in_effect"
    assert sheet.atop["ineffect"] == 1


@pytest.mark.parametrize(
    "text",
    [
        "Kazakhstan signed November 11, 2013, Russia signed November 12, 2013",
        "11 November 2013: Kazakhstan (705), 12 November 2013: Russia (365)",
    ],
)
def test_several_dates_on_one_line_go_to_the_members_beside_them(text: str) -> None:
    groups = fields.dates_by_member(text, [(705, "Kazakhstan"), (365, "Russia")])
    assert {code: [d.iso() for d in spells] for code, spells in groups.by_member.items()} == {705: ["2013-11-11"], 365: ["2013-11-12"]}


def test_numbered_list_of_names_is_not_read_as_codes() -> None:
    assert [(m.ccode, m.name) for m in fields.parse_members("1. Kazakhstan\n2. Russia")] == [(705, "Kazakhstan"), (365, "Russia")]
    # Real low codes stay codes.
    assert [m.ccode for m in fields.parse_members("2 United States of America\n20 Canada")] == [2, 20]


@pytest.mark.parametrize(
    ("answer", "pubsecr"),
    [("Public, with a secret additional protocol.", 1), ("Partly secret.", 1), ("Secret articles on the division of spoils.", 1)],
)
def test_pubsecr_secret_parts(answer: str, pubsecr: int) -> None:
    assert _sheet({7: answer}).atop["pubsecr"] == pubsecr


def test_pact_is_a_treaty_and_year_to_year_renewal_is_twelve_months() -> None:
    atop = _sheet({6: "Pact (ratified)", 12: "Yes. Renewed tacitly from year to year unless denounced."}).atop
    assert (atop["estmode"], atop["proren"], atop["renewlgt"]) == (1, 2, 12)


def test_group_date_line_wrapped_after_a_comma_keeps_its_members() -> None:
    """PDF extraction wraps "November 11, 2013: Russia (365)," before the next member."""
    groups = fields.dates_by_member("November 11, 2013: Russia (365),\nKazakhstan (705)", [(365, "Russia"), (705, "Kazakhstan")])
    assert groups.by_member[705][0] == groups.by_member[365][0]
    assert (groups.by_member[705][0].year, groups.by_member[705][0].month, groups.by_member[705][0].day) == (2013, 11, 11)


def test_renewal_term_the_coder_calls_unknown_is_missing_not_zero() -> None:
    proren, months, _ = fields.renewal_terms("Yes. Renewed automatically unless notice is given; the length of the renewal term is unknown.")
    assert (proren, months) == (2, None)
