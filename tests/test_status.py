"""The in-force verdict: sheet claim + clauses + sources -> verdict, disagreements and warnings."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from pathlib import Path

import pytest

from atop_pipeline.codesheets.model import (
    Answer,
    Citation,
    Codesheet,
    DurationTerms,
    Member,
    PartialDate,
    TerminationClaim,
)
from atop_pipeline.sources.http import FetchOutcome
from atop_pipeline.sources.readers import SourceReading, read_source, reading_row
from atop_pipeline.status import (
    InForceVerdict,
    assess,
    notice_months_from_text,
    verdict_row,
    verdict_summary,
)

ROOT = Path(__file__).parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "sources"
Z_URL = "http://adilet.zan.kz/rus/docs/Z1400000246"
AS_OF = dt.date(2026, 11, 28)
SECTION_30 = (
    "Section 30 — “This Agreement is concluded for a period of 5 years. Its validity will be automatically "
    "extended for subsequent five-year periods if none of the Contracting Parties informs the other Contracting "
    "Party in writing of its intention to terminate this Agreement through diplomatic channels no less than six "
    "months before the expiration of the initial or any subsequent period.”"
)
SIGNED = PartialDate(2013, 11, 11, "November 11, 2013")


def sheet_6070(**changes: object) -> Codesheet:
    """ATOP 6070 as the real sheet states it (Q3, Q4, Q10-Q14, Q59), built from the shared model."""
    sheet = Codesheet(
        source_file="codesheet_6070.txt", sha256="0" * 64, size=1, encoding="utf-8", kind="txt", atopid=6070,
        answers=[
            Answer(10, "I", "Are there specific provisions ... length of time ...?", "Yes.\n\n" + SECTION_30, "yes", 28, 35),
            Answer(12, "I", "Are there specific provisions ... renewal ...?", "Yes.\n\n" + SECTION_30, "yes", 39, 46),
        ],
        members=[Member(705, "Kazakhstan", SIGNED, None), Member(365, "Russia", SIGNED, None)],
        signature_dates=[SIGNED],
        termination=TerminationClaim(
            "in_effect", PartialDate(2020, 7, 7, "7/7/2020"),
            f"Still in effect as of 7/7/2020 as per Kazakh Legislature: {Z_URL}", (Z_URL,),
        ),
        duration=DurationTerms(speclgth=1, length_months=60, renounce=0, proren=2, renewal_months=60,
                               notice_months=6, renewals=0),
        citations=[Citation(14, Z_URL), Citation(59, Z_URL)],
        revision_date=PartialDate(2020, 7, 7, "7/7/2020"),
    )
    return dataclasses.replace(sheet, **changes)


def reading(name: str, url: str = Z_URL) -> SourceReading:
    return read_source(url, (FIXTURES / name).read_bytes(), {"Content-Type": "text/html; charset=utf-8"},
                       snapshot_id=f"snap-{name}")


def ok_outcome(url: str = Z_URL) -> FetchOutcome:
    return FetchOutcome(snapshot_id="s1", url=url, final_url=url, fetched_at=dt.datetime(2026, 11, 28, tzinfo=dt.timezone.utc),
                        outcome="ok", status_code=200)


def kinds(items: list[dict[str, str]]) -> list[str]:
    return [i["kind"] for i in items]


@pytest.fixture
def verdict_6070() -> InForceVerdict:
    return assess(sheet_6070(), [reading("adilet_Z1400000246_rus_status_new.html")], [ok_outcome()], AS_OF)


# --- must show: ATOP 6070 as of 2026-11-28 -----------------------------------------------------------


def test_6070_is_in_force_as_of_2026_11_28(verdict_6070: InForceVerdict) -> None:
    assert verdict_6070.verdict == "in_force"


def test_6070_current_five_year_term_ends_2028_11_11(verdict_6070: InForceVerdict) -> None:
    assert verdict_6070.term_end == dt.date(2028, 11, 11)
    assert "terms end 2018-11-11, 2023-11-11, 2028-11-11" in verdict_6070.clause_basis


def test_6070_next_notice_deadline_is_six_months_before_term_end(verdict_6070: InForceVerdict) -> None:
    assert verdict_6070.next_notice_deadline == dt.date(2028, 5, 11)


def test_6070_has_no_disagreements_when_the_law_is_in_force(verdict_6070: InForceVerdict) -> None:
    assert verdict_6070.disagreements == []


def test_6070_claim_of_2020_is_stale_after_five_years(verdict_6070: InForceVerdict) -> None:
    assert verdict_6070.sheet_claim == "in_effect"
    assert verdict_6070.sheet_claim_date == dt.date(2020, 7, 7)
    assert verdict_6070.claim_age_days == (AS_OF - dt.date(2020, 7, 7)).days
    stale = [w for w in verdict_6070.warnings if w["kind"] == "stale_claim"]
    assert stale and "6.4 years" in stale[0]["detail"]


def test_6070_states_the_signature_date_assumption(verdict_6070: InForceVerdict) -> None:
    assert "from signature 2013-11-11" in verdict_6070.clause_basis
    assert "may count from entry into force" in verdict_6070.clause_basis


def test_6070_source_status_names_the_ratifying_act_as_proxy(verdict_6070: InForceVerdict) -> None:
    assert verdict_6070.source_status == "in_force (ratifying act, adilet status_new)"
    assert "proxy_source" in kinds(verdict_6070.warnings)


def test_6070_reports_the_count_from_the_sources_entry_into_force(verdict_6070: InForceVerdict) -> None:
    # The (synthetic) fixture's footnote says the treaty entered into force on 2014-12-21.
    assert "entry into force 2014-12-21" in verdict_6070.clause_basis
    assert "2029-12-21" in verdict_6070.clause_basis
    assert "term_start_ambiguous" not in kinds(verdict_6070.warnings)  # both counts say in term


def test_6070_parsed_from_the_real_sheet_gives_the_same_verdict() -> None:
    from atop_pipeline.codesheets.parser import parse_bytes

    data = (ROOT / "data" / "codesheets" / "codesheet_6070.txt").read_bytes()
    sheet = parse_bytes(data, "codesheet_6070.txt")
    v = assess(sheet, [reading("adilet_Z1400000246_rus_status_new.html")], [ok_outcome()], AS_OF)
    assert (v.atopid, v.verdict, v.term_end, v.next_notice_deadline) == (
        6070, "in_force", dt.date(2028, 11, 11), dt.date(2028, 5, 11)
    )
    assert v.disagreements == []
    assert "stale_claim" in kinds(v.warnings)


# --- the sheet's claim ---------------------------------------------------------------------------------


def test_claim_younger_than_the_threshold_is_not_stale() -> None:
    v = assess(sheet_6070(), [], None, AS_OF, stale_after_years=10)
    assert "stale_claim" not in kinds(v.warnings)


def test_undated_in_effect_claim_uses_the_revision_date() -> None:
    claim = TerminationClaim("in_effect", None, "Still in effect.")
    v = assess(sheet_6070(termination=claim), [], None, AS_OF)
    assert v.sheet_claim_date == dt.date(2020, 7, 7)
    assert "last revision date" in json.dumps(v.evidence)


def test_members_all_with_exit_dates_make_a_termination_claim() -> None:
    exit_ = PartialDate(2019, 3, None, "March 2019")
    members = [Member(705, "Kazakhstan", SIGNED, exit_), Member(365, "Russia", SIGNED, exit_)]
    v = assess(sheet_6070(termination=None, members=members), [], None, AS_OF)
    assert (v.sheet_claim, v.sheet_claim_date, v.verdict) == ("terminated", dt.date(2019, 3, 31), "terminated")


# --- the clauses ---------------------------------------------------------------------------------------


def test_notice_deadline_already_passed_is_reported_with_the_next_open_one() -> None:
    v = assess(sheet_6070(), [], None, dt.date(2028, 6, 1))
    assert (v.term_end, v.next_notice_deadline) == (dt.date(2028, 11, 11), dt.date(2028, 5, 11))
    closed = [w for w in v.warnings if w["kind"] == "notice_window_closed"]
    assert closed and "2033-05-11" in closed[0]["detail"]


def test_term_ending_on_the_as_of_date_rolls_into_the_next_term() -> None:
    v = assess(sheet_6070(), [], None, dt.date(2028, 11, 11))
    assert v.term_end == dt.date(2033, 11, 11)


def test_within_the_initial_term_the_initial_term_end_is_reported() -> None:
    v = assess(sheet_6070(), [], None, dt.date(2015, 1, 1))
    assert (v.term_end, v.next_notice_deadline) == (dt.date(2018, 11, 11), dt.date(2018, 5, 11))


def test_leap_day_terms_do_not_drift_after_a_clipped_year() -> None:
    signed = PartialDate(2016, 2, 29, "February 29, 2016")
    duration = DurationTerms(1, 12, 0, 2, 12, None, 0)
    v = assess(sheet_6070(signature_dates=[signed], duration=duration, answers=[]), [], None, dt.date(2019, 6, 1))
    assert v.term_end == dt.date(2020, 2, 29)


def test_missing_renewal_term_is_assumed_equal_to_the_initial_term() -> None:
    duration = DurationTerms(1, 60, 0, 2, 0, 6, 0)
    v = assess(sheet_6070(duration=duration), [], None, AS_OF)
    assert v.term_end == dt.date(2028, 11, 11)
    assert "assumed equal to the initial term" in v.clause_basis


def test_fixed_term_without_renewal_implies_expiry() -> None:
    duration = DurationTerms(1, 60, 0, 0, 0, None, 0)
    claim = TerminationClaim("unknown", None, "")
    v = assess(sheet_6070(duration=duration, termination=claim, answers=[]), [], None, AS_OF)
    assert (v.verdict, v.term_end) == ("expired", dt.date(2018, 11, 11))
    assert "no renewal clause" in v.clause_basis


def test_active_renewal_with_unknown_renewals_is_expired_unless_renewed() -> None:
    duration = DurationTerms(1, 60, 0, 1, 60, None, None)
    claim = TerminationClaim("in_effect", PartialDate(2017, 1, 1, "2017"), "in effect as of 2017")
    v = assess(sheet_6070(duration=duration, termination=claim, answers=[]), [], None, AS_OF)
    assert v.verdict == "expired"
    assert "expired unless renewed" in v.clause_basis
    assert "renewal_unknown" in kinds(v.warnings)
    assert v.disagreements == []  # the claim (2017) predates the lapse (2018): not contradicted


def test_indefinite_treaty_has_no_expiry_and_no_term_end() -> None:
    duration = DurationTerms(3, 0, 1, 0, 0, 12, 0)
    v = assess(sheet_6070(duration=duration, answers=[]), [], None, AS_OF)
    assert (v.verdict, v.term_end, v.next_notice_deadline) == ("in_force", None, None)
    assert "no expiry" in v.clause_basis


def test_no_duration_provision_implies_no_expiry() -> None:
    duration = DurationTerms(0, 0, 0, 0, 0, None, 0)
    v = assess(sheet_6070(duration=duration, answers=[]), [], None, AS_OF)
    assert "no provision on duration" in v.clause_basis
    assert v.verdict == "in_force"


def test_as_of_before_signature_is_unknown() -> None:
    v = assess(sheet_6070(), [], None, dt.date(2010, 1, 1))
    assert v.verdict == "unknown"


@pytest.mark.parametrize(
    ("text", "months"),
    [
        ("no less than six months before the expiration", 6),
        ("upon one year's notice", 12),
        ("12 months' written notice", 12),
        ("giving three (3) months notice", 3),
        ("terminates after the Agreement expires", None),
    ],
)
def test_notice_period_is_read_from_clause_text(text: str, months: int | None) -> None:
    assert notice_months_from_text(text)[0] == months


def test_notice_period_missing_from_duration_is_read_from_q12() -> None:
    duration = DurationTerms(1, 60, 0, 2, 60, None, 0)
    v = assess(sheet_6070(duration=duration), [], None, AS_OF)
    assert v.next_notice_deadline == dt.date(2028, 5, 11)
    assert "Q12" in v.clause_basis


# --- the sources, disagreements and warnings ------------------------------------------------------------


def test_sheet_in_effect_but_cited_law_repealed_is_conflicting() -> None:
    v = assess(sheet_6070(), [reading("adilet_Z1400000246_rus_status_yts_synthetic.html")], [ok_outcome()], AS_OF)
    assert v.verdict == "conflicting"
    assert kinds(v.disagreements) == ["sheet_in_effect_but_law_repealed"]
    assert "2021-07-01" in v.disagreements[0]["detail"]


def test_sheet_in_effect_but_denunciation_act_refers_to_the_law_is_conflicting() -> None:
    links = reading("adilet_Z1400000246_rus_links_denunciation_synthetic.html",
                    "https://old.adilet.zan.kz/rus/docs/Z1400000246/links")
    v = assess(sheet_6070(), [links], [ok_outcome()], AS_OF)
    assert v.verdict == "conflicting"
    assert "sheet_in_effect_but_denounced" in kinds(v.disagreements)


def test_sheet_in_effect_after_a_lapsed_fixed_term_is_conflicting() -> None:
    duration = DurationTerms(1, 36, 0, 0, 0, None, 0)  # lapsed 2016-11-11; sheet says in effect 2020
    v = assess(sheet_6070(duration=duration, answers=[]), [], None, AS_OF)
    assert v.verdict == "conflicting"
    assert kinds(v.disagreements) == ["sheet_in_effect_but_term_lapsed"]


def test_sheet_terminated_while_ratification_law_in_force_is_a_warning_not_a_conflict() -> None:
    claim = TerminationClaim("terminated", PartialDate(2022, 1, 1, "2022"), "Terminated in 2022")
    v = assess(sheet_6070(termination=claim), [reading("adilet_Z1400000246_rus_status_new.html")],
               [ok_outcome()], AS_OF)
    assert v.verdict == "terminated"
    assert v.disagreements == []
    assert "law_in_force_after_termination" in kinds(v.warnings)


def test_sheet_terminated_but_treaty_source_in_force_is_conflicting() -> None:
    claim = TerminationClaim("terminated", PartialDate(2022, 1, 1, "2022"), "Terminated in 2022")
    treaty = dataclasses.replace(reading("adilet_Z1400000246_rus_status_new.html"), subject="treaty")
    v = assess(sheet_6070(termination=claim), [treaty], [ok_outcome()], AS_OF)
    assert v.verdict == "conflicting"
    assert kinds(v.disagreements) == ["sheet_terminated_but_source_in_force"]


def test_offline_run_warns_no_source_reached_without_conflict() -> None:
    v = assess(sheet_6070(), [], [], AS_OF)
    assert (v.verdict, v.source_status) == ("in_force", "unreachable")
    assert "no_source_reached" in kinds(v.warnings)
    assert v.disagreements == []


def test_failed_fetches_are_evidence_and_a_warning() -> None:
    timeout = dataclasses.replace(ok_outcome(), outcome="timeout", status_code=None, error_message="read timed out")
    v = assess(sheet_6070(), [], [timeout], AS_OF)
    assert v.source_status == "unreachable"
    assert "no_source_reached" in kinds(v.warnings)
    assert any(e["kind"] == "fetch" and "timeout" in e["detail"] for e in v.evidence)


def test_shell_only_reading_warns_that_no_source_shows_a_status() -> None:
    shell = reading("adilet_spa_shell.html")
    v = assess(sheet_6070(), [shell], [ok_outcome()], AS_OF)
    assert "no_source_status" in kinds(v.warnings)
    assert v.verdict == "in_force"


def test_sheet_citing_nothing_warns_no_source_cited() -> None:
    claim = TerminationClaim("in_effect", PartialDate(2020, 7, 7, "7/7/2020"), "Still in effect", ())
    v = assess(sheet_6070(termination=claim, citations=[]), [], None, AS_OF)
    assert v.source_status == "no source cited"
    assert "no_source_cited" in kinds(v.warnings)


def test_unknown_claim_with_only_a_repealed_law_is_unknown() -> None:
    claim = TerminationClaim("unknown", None, "")
    v = assess(sheet_6070(termination=claim), [reading("adilet_Z1400000246_rus_status_yts_synthetic.html")],
               [ok_outcome()], AS_OF)
    assert v.verdict == "unknown"
    assert "proxy_only_ended" in kinds(v.warnings)


def test_term_start_ambiguity_is_warned_when_counts_disagree() -> None:
    duration = DurationTerms(1, 60, 0, 0, 0, None, 0)  # fixed 5 years, no renewal
    claim = TerminationClaim("unknown", None, "")
    eif = dataclasses.replace(reading("adilet_Z1400000246_rus_status_new.html"),
                              entry_into_force_date=dt.date(2014, 12, 21))
    v = assess(sheet_6070(duration=duration, termination=claim, answers=[]), [eif], [ok_outcome()],
               dt.date(2019, 1, 1))
    assert "term_start_ambiguous" in kinds(v.warnings)


# --- rows ------------------------------------------------------------------------------------------------


def _ddl_columns(table: str) -> list[str]:
    ddl = (ROOT / "atop_pipeline" / "warehouse" / "ddl" / "040_sources.sql").read_text(encoding="utf-8")
    body = re.search(rf"CREATE TABLE IF NOT EXISTS {table} \((.*?)\n\);", ddl, re.S)
    assert body is not None
    names = [line.split()[0] for line in body.group(1).splitlines() if line.strip() and not line.strip().startswith("--")]
    return [n for n in names if n.upper() != "PRIMARY"]


def test_verdict_row_columns_match_the_in_force_status_table(verdict_6070: InForceVerdict) -> None:
    # inputs_digest is the pipeline's memo key (pipeline.assess_status), not part of the verdict.
    assert list(verdict_row(verdict_6070)) + ["inputs_digest"] == _ddl_columns("in_force_status")


def test_reading_row_columns_match_the_source_readings_table() -> None:
    row = reading_row(reading("adilet_Z1400000246_rus_status_new.html"))
    assert list(row) == _ddl_columns("source_readings")


def test_verdict_row_is_json_safe(verdict_6070: InForceVerdict) -> None:
    row = verdict_row(verdict_6070)
    assert (row["as_of"], row["term_end"]) == ("2026-11-28", "2028-11-11")
    json.dumps(row)


def test_verdict_summary_has_the_status_json_fields(verdict_6070: InForceVerdict) -> None:
    summary = verdict_summary(verdict_6070)
    for key in ("atopid", "as_of", "verdict", "sheet_claim", "term_end", "next_notice_deadline",
                "source_status", "disagreements", "warnings"):
        assert key in summary
    assert isinstance(summary["warnings"], list)


def test_fixed_term_lapsing_after_the_claim_is_expired_without_disagreement() -> None:
    duration = DurationTerms(1, 96, 0, 0, 0, None, 0)  # lapsed 2021-11-11, after the 2020 claim
    v = assess(sheet_6070(duration=duration, answers=[]), [], None, AS_OF)
    assert (v.verdict, v.term_end, v.disagreements) == ("expired", dt.date(2021, 11, 11), [])


def test_termination_date_after_as_of_means_in_force_then() -> None:
    claim = TerminationClaim("terminated", PartialDate(2030, 1, 1, "1/1/2030"), "Terminates 1/1/2030")
    v = assess(sheet_6070(termination=claim), [], None, AS_OF)
    assert (v.sheet_claim, v.verdict) == ("terminated", "in_force")


def test_repeal_taking_effect_after_as_of_leaves_the_law_in_force_then() -> None:
    repealed = reading("adilet_Z1400000246_rus_status_yts_synthetic.html")  # effective 2021-07-01
    v = assess(sheet_6070(), [repealed], [ok_outcome()], dt.date(2021, 3, 1))
    assert (v.verdict, v.disagreements) == ("in_force", [])
    assert "source_as_of" in kinds(v.evidence)


def test_failed_fetch_warning_names_the_outcomes() -> None:
    down = dataclasses.replace(ok_outcome(), outcome="host_down", status_code=None)
    v = assess(sheet_6070(), [], [down], AS_OF)
    [warning] = [w for w in v.warnings if w["kind"] == "no_source_reached"]
    assert "host_down" in warning["detail"]


def test_offline_outcomes_are_reported_as_an_offline_run() -> None:
    offline = dataclasses.replace(ok_outcome(), outcome="offline", status_code=None)
    v = assess(sheet_6070(), [], [offline], AS_OF)
    [warning] = [w for w in v.warnings if w["kind"] == "no_source_reached"]
    assert "offline run" in warning["detail"]
