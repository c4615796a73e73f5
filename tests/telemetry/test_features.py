"""Every feature on hand-built event streams, with the answers worked out by hand in comments.

Pure functions: no database."""

import math
import statistics

import pytest

from telemetry.features import percentile
from telemetry.textdiff import edit_distance, text_diff
from tests.telemetry.streams import Stream, composed_sentence, compute, metronome, pure_paste

COMPOSED = "The red car is."


@pytest.fixture
def paste():
    return compute(
        pure_paste(), final_texts={"text": "x" * 400}, expected_minutes=5, difficulty=3, reference_ids=("r1",)
    )


@pytest.fixture
def composed():
    return compute(
        composed_sentence(),
        final_texts={"text": COMPOSED},
        expected_minutes=5,
        difficulty=4,
        reference_ids=("r1", "r2"),
    )


@pytest.fixture
def metro():
    return compute(metronome(), final_texts={"text": "y" * 120})


# --- (a) the pure paste -------------------------------------------------------------------


def test_pure_paste_volume_and_external_insertion(paste):
    f, undefined = paste
    # 400 characters arrived in one paste from outside; the final text is those 400 characters.
    assert f["paste_count"] == 1
    assert f["pasted_chars"] == 400
    assert f["largest_paste_chars"] == 400
    assert f["paste_count_by_source"] == {"external": 1}
    assert f["pasted_chars_by_source"] == {"external": 400}
    assert f["pasted_fraction"] == 1.0  # 400 / 400
    assert f["chars_inserted"] == 400
    assert f["final_length"] == 400
    assert f["product_process_ratio"] == 1.0  # 400 final / 400 produced
    # The paste is explained by its paste event: nothing silent.
    assert f["silent_insert_chars"] == 0
    assert f["silent_insert_ratio"] == 0.0
    # Keys: Ctrl (modifier) and V (letter); only the letter is a production key.
    assert f["key_count"] == 2
    assert f["production_keys"] == 1
    assert f["first_keystroke_latency_ms"] == 2050
    # One writing key means no keystroke interval: rhythm is undefined, with the reason, never 0.
    assert f["iki_count"] == 0
    assert f["iki_median_ms"] is None
    assert undefined["iki_median_ms"] == "no keystroke intervals were recorded"
    assert f["iki_log_sd"] is None and "iki_log_sd" in undefined
    # Active time: gaps 500 (to focus) + 1500 + 50 + 10 + 0 + 2940 (to the submit snapshot) = 5000 ms.
    assert f["active_ms"] == 5000
    # 400 characters in 5000/60000 min = 4800 per active minute; 1 writing key -> 12 keys per minute.
    assert f["final_chars_per_active_minute"] == pytest.approx(4800)
    assert f["keys_per_minute"] == pytest.approx(12)
    # The 400-character input event is the one large insertion, with no absence before it.
    assert f["large_insertions"] == 1
    assert f["absence_before_large_insert_ms"] == 0
    assert f["insertion_after_absence_chars"] == 400
    # Nothing to split into bursts: the paste ends no burst (none had begun).
    assert f["p_burst_count"] == 0 and f["p_burst_mean_chars"] is None and f["r_burst_count"] == 0
    # The task has one reference, never opened.
    assert f["references_read_fraction"] == 0.0


# --- (b) the composed sentence ------------------------------------------------------------

# Inter-key intervals (ms) of the 17 writing keys, in order:
# 200 150 250 300 150 250 300 200 200 2500 150 150 6000 200 200 300
# sorted: 150 x4, 200 x5, 250 x2, 300 x3, 2500, 6000 (16 intervals, sum 11500)
IKIS = [200, 150, 250, 300, 150, 250, 300, 200, 200, 2500, 150, 150, 6000, 200, 200, 300]


def test_composed_volume(composed):
    f, _ = composed
    assert f["event_count"] == 44  # 17 key+input pairs, nav key, 2 snapshots, 2 focus, blur, 2 nav, 2 scroll
    assert f["key_count"] == 18  # 17 writing keys + 1 caret (nav) key
    assert f["production_keys"] == 16  # all but the backspace
    assert f["insertion_events"] == 16
    assert f["deletion_events"] == 1
    assert f["chars_inserted"] == 16
    assert f["chars_deleted"] == 1
    assert f["final_length"] == 15  # "The red car is."
    assert f["product_process_ratio"] == pytest.approx(15 / 16)  # 0.9375


def test_composed_rhythm(composed):
    f, _ = composed
    assert f["iki_count"] == 16
    # n = 16; the p-th percentile sits at (n - 1) * p = 15p between sorted values.
    assert f["iki_median_ms"] == 200  # 7.5 -> between 200 and 200
    assert f["iki_p10_ms"] == 150  # 1.5 -> between 150 and 150
    assert f["iki_p25_ms"] == 187.5  # 3.75 -> 150 + 0.75 * (200 - 150)
    assert f["iki_p75_ms"] == 300  # 11.25 -> between 300 and 300
    assert f["iki_p90_ms"] == 1400  # 13.5 -> 300 + 0.5 * (2500 - 300)
    assert f["iki_iqr_ms"] == 112.5  # 300 - 187.5
    assert f["iki_mean_ms"] == 718.75  # 11500 / 16
    # cv = sample sd / mean = 1520.3 / 718.75 = 2.1152
    assert f["iki_cv"] == pytest.approx(statistics.stdev(IKIS) / 718.75, abs=1e-6)
    assert f["iki_cv"] == pytest.approx(2.1152, abs=1e-4)
    # sd of ln(IKI): 1.0418 (human typing lives around 0.5-1.0; a metronome is 0)
    assert f["iki_log_sd"] == pytest.approx(statistics.stdev([math.log(v) for v in IKIS]), abs=1e-6)
    assert f["iki_log_sd"] == pytest.approx(1.0418, abs=1e-4)
    # letter -> letter intervals: 200 150 150 250 150 200 200 -> median 200
    assert f["intraword_iki_median_ms"] == 200
    # space -> letter intervals: 300 (2400 -> 2700) and 2500 (3800 -> 6300) -> mean 1400
    assert f["pre_word_pause_mean_ms"] == 1400
    # 17 writing keys in 14000 ms of active time: 17 / (14000 / 60000) = 72.857
    assert f["keys_per_minute"] == pytest.approx(72.857143)


def test_composed_pauses(composed):
    f, _ = composed
    # Intervals >= threshold: 2500 and 6000 reach 0.5/1/2 s; only 6000 reaches 5 s; none 10 s.
    assert (f["pauses_0_5s"], f["pauses_1s"], f["pauses_2s"], f["pauses_5s"], f["pauses_10s"]) == (2, 2, 2, 1, 0)
    assert f["pause_time_ms"] == 8500  # 2500 + 6000
    assert f["pause_fraction"] == pytest.approx(8500 / 11500)  # 0.7391
    assert f["longest_pause_ms"] == 6000


def test_composed_bursts(composed):
    f, _ = composed
    # "The cat" (7 chars) ends at the backspace: an R-burst of 7.
    # "r " (2) ends at the 2.5 s pause; "is." (3) at the 6 s pause; "red " (4) at the end: P-bursts 2, 3, 4.
    assert f["r_burst_count"] == 1 and f["r_burst_mean_chars"] == 7 and f["r_burst_max_chars"] == 7
    assert f["p_burst_count"] == 3 and f["p_burst_mean_chars"] == 3 and f["p_burst_max_chars"] == 4


def test_composed_revision(composed):
    f, _ = composed
    assert f["backspaces"] == 1 and f["deletes"] == 0
    assert f["deleted_chars"] == 1
    # "red " typed at positions 4..7 of an 11..14-character text: 4 edits not at the end.
    assert f["non_terminal_edits"] == 4
    assert f["revision_ratio"] == pytest.approx(1 / 16)  # 1 deleted / 16 inserted
    assert f["undo_count"] == 0 and f["redo_count"] == 0
    # Snapshots "The car is." -> "The red car is.": 4 characters inserted.
    assert f["snapshot_count"] == 2
    assert f["snapshot_edit_distance_total"] == 4
    assert f["snapshot_edit_distance_first_final"] == 4


def test_composed_attention_navigation_time(composed):
    f, undefined = composed
    # Editor blurred 8800 -> 12100 while the annotator read reference r1.
    assert f["blur_count"] == 1 and f["blur_time_ms"] == 3300
    assert f["hidden_count"] == 0 and f["hidden_time_ms"] == 0
    assert f["longest_absence_ms"] == 3300
    assert f["large_insertions"] == 0
    assert f["absence_before_large_insert_ms"] is None
    assert "50 or more characters" in undefined["absence_before_large_insert_ms"]
    assert f["first_keystroke_latency_ms"] == 1800
    # r1 open 9000 -> 12000 = 3000 ms (>= 3 s: read); r2 never opened: 1 of 2 references read.
    assert f["references_opened"] == 1 and f["distinct_references_opened"] == 1
    assert f["reference_dwell_ms"] == {"r1": 3000}
    assert f["reference_dwell_total_ms"] == 3000
    assert f["reference_max_scroll"] == {"r1": 0.8}
    assert f["references_read_fraction"] == 0.5
    # Every gap is under 30 s and the page never hid: active = total = 14000 ms = 0.2333 min.
    assert f["total_ms"] == 14000 and f["active_ms"] == 14000
    assert f["time_ratio"] == pytest.approx((14000 / 60000) / 5)  # 0.0467 of the 5 expected minutes
    # Difficulty 4 expects 5 * 4/3 = 6.667 min: 0.2333 / 6.667 = 0.035
    assert f["time_ratio_difficulty_adjusted"] == pytest.approx(0.035)
    # Every key and input reported trusted.
    assert f["untrusted_events"] == 0 and f["untrusted_fraction"] == 0.0
    assert f["silent_insert_chars"] == 0
    assert f["pasted_fraction"] == 0.0 and f["largest_paste_chars"] is None


# --- (c) the metronome --------------------------------------------------------------------


def test_metronomic_transcription_has_zero_dispersion(metro):
    f, undefined = metro
    # 120 keys every 150 ms: 119 intervals of exactly 150 ms.
    assert f["iki_count"] == 119
    for name in ("iki_median_ms", "iki_p10_ms", "iki_p25_ms", "iki_p75_ms", "iki_p90_ms", "iki_mean_ms"):
        assert f[name] == 150
    assert f["iki_iqr_ms"] == 0
    assert f["iki_cv"] == 0
    assert f["iki_log_sd"] == 0
    assert f["pauses_0_5s"] == 0 and f["pause_time_ms"] == 0 and f["pause_fraction"] == 0
    assert f["backspaces"] == 0 and f["revision_ratio"] == 0
    # One burst of all 120 characters, ended by the end of the session.
    assert f["p_burst_count"] == 1 and f["p_burst_max_chars"] == 120
    # Last key at 1000 + 150 * 119 = 18850, snapshot at 19000: 120 keys / (19000 / 60000) min = 378.95
    assert f["keys_per_minute"] == pytest.approx(120 * 60000 / 19000)
    # No project context given: the time ratios say so instead of pretending.
    assert f["time_ratio"] is None and undefined["time_ratio"] == "the project has no expected time per task"
    assert f["references_read_fraction"] is None
    assert undefined["references_read_fraction"] == "the task has no reference materials"


# --- other streams ------------------------------------------------------------------------


def test_untrusted_script_insertion_is_silent_and_untrusted():
    s = Stream()
    s.insert(1000, 40, "insertText", trusted=False).insert(1100, 40, "insertText", trusted=False)
    s.insert(1200, 40, "insertText", trusted=False)
    f, _ = compute(s, final_texts={"text": "z" * 120})
    # 120 characters by insertText with no key behind any of them.
    assert f["silent_insert_chars"] == 120 and f["silent_insert_ratio"] == 1.0
    assert f["untrusted_events"] == 3 and f["untrusted_fraction"] == 1.0
    assert f["first_keystroke_latency_ms"] is None


def test_silent_insertion_counts_replacements_and_drops_not_undo_or_ime():
    s = Stream()
    s.keys([1000, 1200, 1400])  # 3 typed characters, explained by their keys
    s.insert(2000, 10, "insertReplacementText")  # autocorrect/autofill: 10 silent
    s.insert(2500, 20, "insertFromDrop")  # drag-and-drop: 20 silent
    s.insert(3000, 5, "historyUndo")  # undo restoring text: explained
    s.add(3500, "comp", phase="start", field="text")
    s.insert(3600, 2, "insertCompositionText")  # IME: explained
    s.add(4100, "comp", phase="end", len=2, field="text")
    s.insert(4500, 1, "historyRedo")
    f, undefined = compute(s)
    assert f["silent_insert_chars"] == 30
    assert f["chars_inserted"] == 41  # 3 + 10 + 20 + 5 + 2 + 1
    assert f["silent_insert_ratio"] == pytest.approx(30 / 41)
    assert f["drop_count"] == 1
    assert f["undo_count"] == 1 and f["redo_count"] == 1
    assert f["ime_compositions"] == 1 and f["ime_composition_ms"] == 600  # 3500 -> 4100
    # No trusted flag on the inserted events... but the keys carried one: 3 of 3 reported trusted.
    assert f["untrusted_fraction"] == 0.0
    # Without final texts, the final length is the last length the field reported: 41.
    assert f["final_length"] == 41
    assert "final_length" not in undefined


def test_untrusted_fraction_is_undefined_when_no_event_reports_it():
    f, undefined = compute([{"seq": 1, "t": 10, "kind": "focus", "data": {}}])
    assert f["untrusted_fraction"] is None
    assert undefined["untrusted_fraction"] == "no event reported whether it was trusted"
    assert f["final_length"] is None and f["product_process_ratio"] is None


def test_blur_then_large_insertion_measures_the_absence():
    s = Stream()
    s.keys([1000, 1200, 1400])
    s.add(5000, "blur", field="text")
    s.add(45000, "focus", field="text")  # away 40 s
    s.paste(45500, 300)
    f, _ = compute(s, final_texts={"text": "w" * 303})
    assert f["blur_count"] == 1 and f["blur_time_ms"] == 40000
    assert f["longest_absence_ms"] == 40000
    assert f["absence_before_large_insert_ms"] == 40000
    assert f["insertion_after_absence_chars"] == 300
    # The 40 s gap (1400 -> 5000 is 3.6 s, 5000 -> 45000 is idle) is not active time:
    # 1000 + 200 + 200 + 3600 + 500 = 5500 ms.
    assert f["active_ms"] == 5500


def test_hidden_page_time_is_absence_and_not_active():
    s = Stream()
    s.keys([1000, 1200])
    s.add(2000, "vis", state="hidden")
    s.add(12000, "vis", state="visible")  # hidden 10 s
    s.key(12500)
    f, _ = compute(s)
    assert f["hidden_count"] == 1 and f["hidden_time_ms"] == 10000
    assert f["longest_absence_ms"] == 10000
    # 1000 + 200 + 800 (to the hide) + [10000 hidden, not counted] + 500 = 2500
    assert f["active_ms"] == 2500
    assert f["total_ms"] == 12500


def test_an_absence_long_before_the_insertion_is_not_linked_to_it():
    s = Stream()
    s.add(1000, "blur", field="text").add(61000, "focus", field="text")  # away 60 s
    s.keys([62000 + 200 * i for i in range(60)])  # then types for 12 s
    s.paste(80000, 100)  # 19 s after returning: more than 10 s, not "immediately"
    f, _ = compute(s)
    assert f["longest_absence_ms"] == 60000
    assert f["absence_before_large_insert_ms"] == 0


def test_rhythm_ignores_auto_repeat_and_session_boundaries():
    first = Stream()
    first.keys([1000, 1100, 1300])  # intervals 100, 200
    first.add(1500, "key", cls="letter", rep=True, field="text")  # held key: no interval
    first.key(1600)  # restarts after the repeat: no interval either
    second = Stream()
    second.keys([500, 900])  # 400, measured from the second session's own start
    events = [{**e, "session": "a"} for e in first.events] + [{**e, "session": "b"} for e in second.events]
    f, _ = compute(events)
    assert f["iki_count"] == 3  # 100, 200, 400: nothing across the repeat or across the two page loads
    assert f["iki_median_ms"] == 200
    assert f["session_count"] == 2
    assert f["total_ms"] == 1600 + 900
    assert f["first_keystroke_latency_ms"] == 1000


def test_pastes_of_own_text_do_not_count_as_outside_text():
    s = Stream()
    s.keys([1000 + 100 * i for i in range(60)])  # 60 typed characters
    s.add(8000, "cut", len=20, src="self", h="ab", field="text")
    s.paste(8500, 20, src="self")  # the annotator moves a phrase
    s.paste(9000, 20, src="reference")  # and quotes a reference
    s.add(9500, "copy", len=5, src="task", h="cd", field="text")
    f, _ = compute(s, final_texts={"text": "q" * 80})
    assert f["paste_count"] == 2 and f["pasted_chars"] == 40
    assert f["paste_count_by_source"] == {"reference": 1, "self": 1}
    assert f["pasted_fraction"] == pytest.approx(20 / 80)  # only the reference paste is outside text
    assert f["cut_count"] == 1 and f["copy_count"] == 1


def test_dwell_of_a_reference_left_open_runs_to_the_end_of_the_session():
    s = Stream()
    s.add(1000, "nav", ref="r1", action="open").add(2000, "nav", ref="r2", action="open")
    s.add(2500, "nav", ref="r2", action="close").add(3000, "nav", ref="r2", action="open")
    s.key(9000)
    f, _ = compute(s, reference_ids=("r1", "r2", "r3"))
    assert f["references_opened"] == 3
    assert f["distinct_references_opened"] == 2
    # r1: 1000 -> 9000 = 8000; r2: 500 + (3000 -> 9000) 6000 = 6500.
    assert f["reference_dwell_ms"] == {"r1": 8000, "r2": 6500}
    assert f["reference_dwell_total_ms"] == 14500
    assert f["references_read_fraction"] == pytest.approx(2 / 3)


def test_non_terminal_deletion_ends_a_burst_and_counts_as_revision():
    s = Stream()
    s.keys([1000, 1100, 1200, 1300, 1400])  # "abcde"
    s.add(1500, "key", cls="delete", field="text")
    s.add(1500, "input", it="deleteContentForward", pos=1, d=-1, len=4, field="text")  # removes "b"
    s.keys([1600, 1700])
    f, _ = compute(s)
    assert f["deletes"] == 1 and f["deleted_chars"] == 1
    assert f["non_terminal_edits"] == 1
    assert f["r_burst_count"] == 1 and f["r_burst_max_chars"] == 5
    assert f["p_burst_count"] == 1 and f["p_burst_max_chars"] == 2


def test_empty_stream_leaves_rates_undefined():
    f, undefined = compute([], expected_minutes=5, difficulty=3)
    assert f["event_count"] == 0 and f["active_ms"] == 0
    assert f["time_ratio"] is None and undefined["time_ratio"] == "no telemetry events"
    assert f["keys_per_minute"] is None and f["revision_ratio"] is None
    assert f["snapshot_edit_distance_total"] is None
    assert undefined["snapshot_edit_distance_total"] == "no text snapshots were recorded"


# --- helpers ------------------------------------------------------------------------------


def test_percentile_interpolates_linearly():
    assert percentile([10, 20, 30, 40], 0.5) == 25  # position 1.5
    assert percentile([10, 20, 30, 40], 0.9) == 37  # position 2.7 -> 30 + 0.7 * 10
    assert percentile([7], 0.25) == 7


def test_text_diff_and_edit_distance():
    assert text_diff("The car is.", "The red car is.") == [("equal", "The "), ("insert", "red "), ("equal", "car is.")]
    assert text_diff("abc", "") == [("delete", "abc")]
    assert edit_distance("kitten", "sitting") == 5  # k->s and e->i are 2 each (delete + insert), + g
    assert edit_distance("same", "same") == 0
